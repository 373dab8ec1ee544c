{#
    One row per ticker per trading day: the daily flow arithmetic, computed once.

    With SO = shares outstanding at the close (lag-adjusted), P = NAV (the close when the
    day has no NAV), D = distribution per share going ex that day and r = the split
    ratio going ex that day (1 when none), the previous trading row's values expressed
    in today's share units are SO' = SO[t-1] * r and P' = P[t-1] / r, and

        net_flow_usd      = (SO - SO') * P                  creations minus redemptions
        market_effect_usd = SO' * (P + D - P')              return on the shares held at the start
        distributions_usd = -SO' * D                        paid out of the fund on the ex-date
        aum_usd - aum_start_usd = net_flow_usd + market_effect_usd + distributions_usd

    exactly (aum_start_usd = SO' * P' = the previous row's aum_usd). A split rescales SO'
    so it never shows as a flow. The first row of a ticker and rows where SO or SO' is
    missing have null flows (flow_status says why), never a giant one.

    Incremental: rebuilds rows from flows_recompute_from() and reads 31 extra trading
    days for the previous row and the 30-day volume average.
#}

{{
    config(
        materialized='incremental',
        unique_key=['ticker', 'as_of_date'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{%- set recompute_from = flows_recompute_from() %}
{%- set input_from = flows_input_from(recompute_from, 31) %}
{%- set min_obs = var('flows_min_observations') %}

with

days as (

    select * from {{ ref('int_etf_shares_lag_adjusted') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', input_from) }}

),

priced as (

    select
        ticker,
        as_of_date,
        close,
        nav as reported_nav,
        coalesce(nav, close) as nav,
        case when nav is not null then 'nav' else 'close' end as nav_source,
        volume,
        dividend_per_share,
        split_ratio,
        coalesce(split_ratio, 1.0) as split_factor,
        shares_outstanding,
        shares_report_date,
        shares_report_lag_days,
        reported_total_assets_usd
    from days

),

with_previous as (

    select
        priced.*,
        lag(as_of_date) over (
            partition by ticker order by as_of_date
        ) as prev_as_of_date,
        lag(close) over (
            partition by ticker order by as_of_date
        ) / split_factor as prev_close,
        lag(nav) over (
            partition by ticker order by as_of_date
        ) / split_factor as prev_nav,
        lag(shares_outstanding) over (
            partition by ticker order by as_of_date
        ) * split_factor as prev_shares_outstanding,
        lag(shares_report_date) over (
            partition by ticker order by as_of_date
        ) as prev_shares_report_date,
        avg(volume) over (
            partition by ticker order by as_of_date
            rows between 30 preceding and 1 preceding
        ) as volume_avg_30d,
        count(volume) over (
            partition by ticker order by as_of_date
            rows between 30 preceding and 1 preceding
        ) as volume_days_30d
    from priced

),

flows as (

    select
        *,
        case
            when prev_as_of_date is null then 'first_day'
            when shares_outstanding is null or prev_shares_outstanding is null then 'no_shares'
            when shares_report_date = prev_shares_report_date then 'carried'
            else 'reported'
        end as flow_status,
        case
            when prev_as_of_date is not null
                then shares_outstanding - prev_shares_outstanding
        end as shares_outstanding_change,
        case
            when prev_as_of_date is not null
                then prev_shares_outstanding * prev_nav
        end as aum_start_usd,
        {{ var('default_creation_unit_size') | int }} as creation_unit_size,
        true as creation_unit_size_assumed
    from with_previous

),

final as (

    select

        ----------  ids
        ticker,
        as_of_date,
        prev_as_of_date,

        ----------  prices (today's units; prev_* rescaled by the split ratio)
        close,
        prev_close,
        reported_nav,
        nav,
        nav_source,
        prev_nav,
        dividend_per_share,
        split_ratio,

        ----------  shares
        shares_outstanding,
        prev_shares_outstanding,
        shares_outstanding_change,
        shares_report_date,
        shares_report_lag_days,
        flow_status,

        ----------  flows and the AUM decomposition
        shares_outstanding_change * nav as net_flow_usd,
        shares_outstanding * nav as aum_usd,
        aum_start_usd,
        case
            when aum_start_usd > 0
                then 100.0 * shares_outstanding_change * nav / aum_start_usd
        end as flow_pct_aum,
        prev_shares_outstanding * (nav + coalesce(dividend_per_share, 0) - prev_nav)
            as market_effect_usd,
        0.0 - prev_shares_outstanding * coalesce(dividend_per_share, 0) as distributions_usd,
        reported_total_assets_usd,

        ----------  creation units (net only: gross creations and redemptions are not observed)
        creation_unit_size,
        creation_unit_size_assumed,
        shares_outstanding_change / creation_unit_size as net_creation_units,
        case
            when shares_outstanding_change > 0 then shares_outstanding_change / creation_unit_size
            when shares_outstanding_change <= 0 then 0.0
        end as creation_units,
        case
            when shares_outstanding_change < 0 then -1.0 * shares_outstanding_change / creation_unit_size
            when shares_outstanding_change >= 0 then 0.0
        end as redemption_units,

        ----------  premium / discount (only against a reported NAV)
        case
            when nav_source = 'nav' and nav > 0 then 10000.0 * (close - nav) / nav
        end as premium_discount_bps,

        ----------  price moves
        case
            when prev_close > 0 then 100.0 * (close / prev_close - 1)
        end as price_change_1d_pct,
        case
            when prev_close > 0 and close + coalesce(dividend_per_share, 0) > 0
                then ln((close + coalesce(dividend_per_share, 0)) / prev_close)
        end as log_return_1d,

        ----------  activity (not a flow)
        volume,
        volume * close as dollar_volume_usd,
        case when volume_days_30d >= {{ min_obs }} then volume_avg_30d end as volume_avg_30d,
        case
            when volume_days_30d >= {{ min_obs }} and volume_avg_30d > 0
                then volume / volume_avg_30d
        end as volume_avg_ratio_30d

    from flows

),

with_divergence as (

    select
        final.*,
        case
            when flow_pct_aum is null or price_change_1d_pct is null then null
            when price_change_1d_pct < 0 then flow_pct_aum
            when price_change_1d_pct > 0 then -1.0 * flow_pct_aum
            else 0.0
        end as flow_price_divergence
    from final

)

select * from with_divergence
where 1 = 1 {{ flows_date_filter('as_of_date', recompute_from) }}
