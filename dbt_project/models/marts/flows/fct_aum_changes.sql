{#
    One row per ticker per period, for two grains: period = 'day' (each trading day)
    and period = 'month' (calendar month). Each row decomposes the change in AUM:

        start_aum_usd + flow_effect_usd + market_effect_usd + distributions_usd
            + residual_usd = end_aum_usd

    Daily components come from fct_etf_flows_daily, where the identity is exact, so a
    daily residual is rounding only. A month sums its days (exactly: flows_exact_sum); its start is the AUM at the
    close before its first trading row and its end the AUM at its last trading row, so
    the residual is what days without a flow (missing share counts, a fund's first day)
    leave unexplained. days_with_issuer_count says how many of the days' counts came
    from the fund's issuer (the rest from the vendor). Incremental: each run rebuilds from the first day of the month
    that contains flows_recompute_from().
#}

{{ config(materialized='incremental', unique_key=['ticker', 'period', 'period_start_date']) }}

{%- set recompute_from = flows_recompute_from(column='period_end_date') %}
{%- set month_from = recompute_from[:8] ~ '01' if recompute_from is not none else none %}

with

flows as (

    select
        ticker,
        as_of_date,
        prev_as_of_date,
        cast({{ dbt.date_trunc('month', 'as_of_date') }} as date) as month_start,
        aum_start_usd,
        aum_usd,
        net_flow_usd,
        market_effect_usd,
        distributions_usd,
        shares_source_type
    from {{ ref('fct_etf_flows_daily') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', month_from) }}

),

daily as (

    select
        ticker,
        'day' as period,
        as_of_date as period_start_date,
        as_of_date as period_end_date,
        prev_as_of_date as start_date,
        aum_start_usd as start_aum_usd,
        aum_usd as end_aum_usd,
        net_flow_usd as flow_effect_usd,
        market_effect_usd,
        distributions_usd,
        aum_usd - aum_start_usd
            - coalesce(net_flow_usd, 0) - coalesce(market_effect_usd, 0)
            - coalesce(distributions_usd, 0) as residual_usd,
        cast(1 as bigint) as trading_days,
        cast(case when net_flow_usd is not null then 1 else 0 end as bigint) as days_with_flow,
        cast(case when shares_source_type = 'issuer' then 1 else 0 end as bigint)
            as days_with_issuer_count
    from flows

),

monthly_sums as (

    select
        ticker,
        month_start,
        min(as_of_date) as first_date,
        max(as_of_date) as period_end_date,
        {{ flows_exact_sum('net_flow_usd') }} as flow_effect_usd,
        {{ flows_exact_sum('market_effect_usd') }} as market_effect_usd,
        {{ flows_exact_sum('distributions_usd') }} as distributions_usd,
        count(*) as trading_days,
        count(net_flow_usd) as days_with_flow,
        count(case when shares_source_type = 'issuer' then 1 end) as days_with_issuer_count
    from flows
    group by ticker, month_start

),

month_ends as (

    -- the month's start AUM is its first row's start, its end AUM its last row's end
    select
        monthly_sums.*,
        first_day.prev_as_of_date as start_date,
        first_day.aum_start_usd as start_aum_usd,
        last_day.aum_usd as end_aum_usd
    from monthly_sums
    inner join flows as first_day
        on monthly_sums.ticker = first_day.ticker
        and monthly_sums.first_date = first_day.as_of_date
    inner join flows as last_day
        on monthly_sums.ticker = last_day.ticker
        and monthly_sums.period_end_date = last_day.as_of_date

),

monthly as (

    select
        ticker,
        'month' as period,
        month_start as period_start_date,
        period_end_date,
        start_date,
        start_aum_usd,
        end_aum_usd,
        flow_effect_usd,
        market_effect_usd,
        distributions_usd,
        round(
            end_aum_usd - start_aum_usd
            - coalesce(flow_effect_usd, 0) - coalesce(market_effect_usd, 0)
            - coalesce(distributions_usd, 0),
            4
        ) as residual_usd,
        trading_days,
        days_with_flow,
        days_with_issuer_count
    from month_ends

),

final as (

    select * from daily
    union all
    select * from monthly

)

select
    ticker,
    period,
    period_start_date,
    period_end_date,
    start_date,
    start_aum_usd,
    end_aum_usd,
    flow_effect_usd,
    market_effect_usd,
    distributions_usd,
    residual_usd,
    trading_days,
    days_with_flow,
    days_with_issuer_count
from final
