{#
    One row per calendar quarter: our universe's net flows (fct_etf_flows_daily summed
    over every ticker) beside the whole US ETF market's net issuance from the Federal
    Reserve's Financial Accounts (Z.1, via FRED), with coverage ratios.

    Z.1 series are found by their role in stg_fred__series (the plugin's catalog):
    etf_net_issuance (FU564090005, unadjusted quarterly transactions) or, when absent,
    etf_net_issuance_saar / 4 (FA564090005, a seasonally adjusted annual rate; ETF
    issuance shows no seasonality, per the Fed's notes); etf_shares_market_value
    (LM564090005, the sector's total financial assets = its shares at market value). The
    latest vintage of each observation is used; amounts are scaled from the series' units
    to USD. Quarters present on either side appear; ratios are null when a side is missing.
#}

with

ours as (

    select
        ticker,
        as_of_date,
        net_flow_usd,
        aum_usd,
        {{ dbt.date_trunc('quarter', 'as_of_date') }} as quarter_start
    from {{ ref('fct_etf_flows_daily') }}

),

observations as (

    select * from {{ ref('stg_fred__observations') }}

),

series as (

    select *
    from (
        select
            *,
            row_number() over (partition by series_id order by realtime_start desc) as recency_rank
        from {{ ref('stg_fred__series') }}
    ) as ranked
    where recency_rank = 1

),

latest_vintage as (

    select *
    from (
        select
            observations.*,
            row_number() over (
                partition by observations.series_id, observations.observation_date
                order by observations.realtime_start desc
            ) as vintage_rank
        from observations
    ) as ranked
    where vintage_rank = 1

),

z1_values as (

    select
        {{ dbt.date_trunc('quarter', 'latest_vintage.observation_date') }} as quarter_start,
        series.role,
        latest_vintage.series_id,
        latest_vintage.realtime_start,
        latest_vintage.value * case
            when lower(series.units) like 'billions%' then 1e9
            when lower(series.units) like 'millions%' then 1e6
            when lower(series.units) like 'thousands%' then 1e3
            else 1
        end as value_usd
    from latest_vintage
    inner join series
        on latest_vintage.series_id = series.series_id
    where series.role in ('etf_net_issuance', 'etf_net_issuance_saar', 'etf_shares_market_value')

),

z1 as (

    select
        quarter_start,
        max(case when role = 'etf_net_issuance' then value_usd end) as issuance_usd,
        max(case when role = 'etf_net_issuance_saar' then value_usd end) as issuance_saar_usd,
        max(case when role = 'etf_shares_market_value' then value_usd end) as level_usd,
        max(case when role = 'etf_net_issuance' then series_id end) as issuance_series_id,
        max(case when role = 'etf_net_issuance_saar' then series_id end) as issuance_saar_series_id,
        max(realtime_start) as vintage_date
    from z1_values
    group by quarter_start

),

ours_quarterly as (

    select
        quarter_start,
        -- to the cent: a parallel sum of doubles is not bit-for-bit reproducible
        {{ flows_exact_sum('net_flow_usd', 2) }} as universe_net_flow_usd,
        count(distinct case when net_flow_usd is not null then ticker end) as universe_fund_count,
        count(distinct as_of_date) as universe_trading_days,
        min(as_of_date) as universe_first_date,
        max(as_of_date) as universe_last_date
    from ours
    group by quarter_start

),

quarter_end_aum as (

    select
        quarter_start,
        {{ flows_exact_sum('aum_usd', 2) }} as universe_aum_usd
    from (
        select
            quarter_start,
            aum_usd,
            row_number() over (
                partition by ticker, quarter_start
                order by as_of_date desc
            ) as recency_rank
        from ours
        where aum_usd is not null
    ) as ranked
    where recency_rank = 1
    group by quarter_start

),

quarters as (

    select quarter_start from ours_quarterly
    union
    select quarter_start from z1

),

final as (

    select

        ----------  ids
        cast(quarters.quarter_start as date) as quarter_start,
        cast({{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, 'quarters.quarter_start')) }} as date) as quarter_end,

        ----------  our universe
        ours_quarterly.universe_net_flow_usd,
        cast(ours_quarterly.universe_fund_count as bigint) as universe_fund_count,
        cast(ours_quarterly.universe_trading_days as bigint) as universe_trading_days,
        coalesce(
            ours_quarterly.universe_first_date <= {{ dbt.dateadd('day', 6, 'quarters.quarter_start') }}
            and ours_quarterly.universe_last_date >= {{ dbt.dateadd('day', -7, dbt.dateadd('month', 3, 'quarters.quarter_start')) }},
            false
        ) as is_universe_quarter_complete,
        quarter_end_aum.universe_aum_usd,

        ----------  the whole market (Z.1)
        coalesce(z1.issuance_usd, z1.issuance_saar_usd / 4) as z1_net_issuance_usd,
        case
            when z1.issuance_usd is not null then z1.issuance_series_id
            when z1.issuance_saar_usd is not null then z1.issuance_saar_series_id || ' / 4'
        end as z1_net_issuance_basis,
        z1.level_usd as z1_shares_market_value_usd,
        cast(z1.vintage_date as date) as z1_vintage_date,

        ----------  coverage
        ours_quarterly.universe_net_flow_usd
            / nullif(coalesce(z1.issuance_usd, z1.issuance_saar_usd / 4), 0) as flow_coverage_ratio,
        quarter_end_aum.universe_aum_usd / nullif(z1.level_usd, 0) as aum_coverage_ratio

    from quarters
    left join ours_quarterly
        on quarters.quarter_start = ours_quarterly.quarter_start
    left join quarter_end_aum
        on quarters.quarter_start = quarter_end_aum.quarter_start
    left join z1
        on quarters.quarter_start = z1.quarter_start

)

select * from final
