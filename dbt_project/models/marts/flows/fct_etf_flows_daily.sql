{#
    One row per ticker per trading day: the daily flow arithmetic, computed once. Every
    other flow mart builds on this table (and fct_etf_flow_windows).

    With SO = shares outstanding at the close (lag-adjusted), P = nav (the issuer's NAV,
    else the close: nav_source), D = distribution per share going ex that day and r = the split ratio
    going ex that day (1 when none), the previous trading row in today's units is
    SO' = SO[t-1] * r and P' = P[t-1] / r, and

        net_flow_usd      = (SO - SO') * P                  creations minus redemptions
        market_effect_usd = SO' * (P + D - P')              return on the shares held at the start
        distributions_usd = -SO' * D                        paid out of the fund on the ex-date
        aum_usd - aum_start_usd = net_flow_usd + market_effect_usd + distributions_usd

    exactly (aum_start_usd = SO' * P' = the previous row's aum_usd). A split rescales SO'
    so it never shows as a flow. The first row of a ticker, rows where SO or SO' is
    missing, and rows whose count comes from another source than the previous row's
    (issuer vs vendor: two sources count differently) have null flows (flow_status says
    why), never a giant one.

    Sources: shares_source is the plugin that supplied the count (the issuer first:
    int_etf_days_aligned), shares_source_type 'issuer' or 'vendor'; nav_source 'issuer'
    or 'close' (no vendor publishes a usable NAV: Yahoo's navPrice is the previous close).

    Incremental: each run rebuilds the rows dated from flows_recompute_from() (the latest
    date minus var('flows_lookback_days')) and reads 31 extra trading days for the
    previous row and the 30-day volume average; `--full-refresh` rebuilds everything.

    Performance (issue 14): the creation-unit size joins on ticker with two range
    comparisons; its open ends used to be `valid_from is null or ...` conditions, which
    DuckDB can only evaluate as a nested-loop join of every day with every size row.
    Measured on 10.4M ETF-days against 8,000 size rows (two N-CEN periods per fund):
    178 s CPU -> 0.5 s CPU for the join (377 s -> 1.1 s wall at load 11); rows identical
    on the demo warehouse (EXCEPT ALL both ways empty). Profile at 2.6M ETF-days (load 9):
    11.1 s CPU; of 44 s operator time, writing the table 27 s and the one window pass
    (the lags and the 30-day volume average, one sort by ticker) 11 s.
#}

{{ config(materialized='incremental', unique_key=['ticker', 'as_of_date']) }}

{%- set recompute_from = flows_recompute_from() %}
{%- set input_from = flows_input_from(recompute_from, 31) %}
{%- set min_obs = var('flows_min_observations') %}

with

days as (

    select * from {{ ref('int_etf_shares_lag_adjusted') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', input_from) }}

),

unit_sizes as (

    -- the creation-unit size in force each day: N-CEN, else inferred, else the default.
    -- Open ends become far dates so the join below is an equi-join on ticker with two
    -- range comparisons (an `is null or ...` condition made it a nested-loop join of
    -- every day with every size)
    select
        ticker,
        coalesce(valid_from, cast('0001-01-01' as date)) as valid_from,
        coalesce(valid_to, cast('9999-12-31' as date)) as valid_to,
        creation_unit_size,
        creation_unit_size_source
    from {{ ref('dim_etf_creation_units') }}

),

priced as (

    select
        ticker,
        as_of_date,
        close,
        coalesce(nav, close) as nav,
        coalesce(nav_source, 'close') as nav_source,
        volume,
        dividend_per_share,
        split_ratio,
        coalesce(split_ratio, 1.0) as split_factor,
        shares_outstanding,
        shares_report_date,
        shares_report_lag_days,
        shares_source,
        shares_source_type
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
        ) * split_factor as shares_outstanding_prev,
        lag(shares_report_date) over (
            partition by ticker order by as_of_date
        ) as prev_shares_report_date,
        lag(shares_source) over (
            partition by ticker order by as_of_date
        ) as prev_shares_source,
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

changes as (

    select
        with_previous.*,
        case
            when prev_as_of_date is null then 'first_day'
            when shares_outstanding is null or shares_outstanding_prev is null then 'no_shares'
            when shares_source <> prev_shares_source then 'source_change'
            when shares_report_date = prev_shares_report_date then 'carried'
            else 'reported'
        end as flow_status,
        case
            when prev_as_of_date is not null and shares_source = prev_shares_source
                then shares_outstanding - shares_outstanding_prev
        end as shares_outstanding_change,
        case
            when prev_as_of_date is not null
                then shares_outstanding_prev * prev_nav
        end as aum_start_usd,
        coalesce(unit_sizes.creation_unit_size,
                 cast({{ var('default_creation_unit_size') | int }} as bigint)) as creation_unit_size,
        coalesce(unit_sizes.creation_unit_size_source, 'default') as creation_unit_size_source,
        coalesce(unit_sizes.creation_unit_size_source, 'default') = 'default'
            as creation_unit_size_assumed
    from with_previous
    left join unit_sizes
        on with_previous.ticker = unit_sizes.ticker
        and with_previous.as_of_date >= unit_sizes.valid_from
        and with_previous.as_of_date < unit_sizes.valid_to

),

flows as (

    select
        changes.*,
        shares_outstanding_change * nav as net_flow_usd,
        case
            when aum_start_usd > 0
                then 100.0 * shares_outstanding_change * nav / aum_start_usd
        end as flow_pct_aum,
        case
            when prev_close > 0 then 100.0 * (close / prev_close - 1)
        end as price_change_1d_pct
    from changes

),

final as (

    select

        ----------  ids
        ticker,
        as_of_date,
        prev_as_of_date,

        ----------  prices
        close,
        nav,
        nav_source,
        dividend_per_share,
        split_ratio,

        ----------  shares (today's units)
        shares_outstanding,
        shares_outstanding_prev,
        shares_outstanding_change,
        shares_report_date,
        cast(shares_report_lag_days as integer) as shares_report_lag_days,
        shares_source,
        shares_source_type,
        flow_status,

        ----------  flows and the AUM decomposition
        net_flow_usd,
        shares_outstanding * nav as aum_usd,
        aum_start_usd,
        flow_pct_aum,
        shares_outstanding_prev * (nav + coalesce(dividend_per_share, 0) - prev_nav)
            as market_effect_usd,
        0.0 - shares_outstanding_prev * coalesce(dividend_per_share, 0) as distributions_usd,

        ----------  creation units (net only: gross creations and redemptions are not observed)
        creation_unit_size,
        creation_unit_size_assumed,
        creation_unit_size_source,
        shares_outstanding_change / creation_unit_size as net_creation_units,
        case
            when shares_outstanding_change > 0 then shares_outstanding_change / creation_unit_size
            when shares_outstanding_change <= 0 then 0.0
        end as creation_units,
        case
            when shares_outstanding_change < 0 then -1.0 * shares_outstanding_change / creation_unit_size
            when shares_outstanding_change >= 0 then 0.0
        end as redemption_units,

        ----------  premium / discount (only against the issuer's NAV)
        case
            when nav_source = 'issuer' and nav > 0 then 10000.0 * (close - nav) / nav
        end as premium_discount_bps,

        ----------  activity (not a flow) and price
        volume,
        volume * close as dollar_volume_usd,
        case
            when volume_days_30d >= {{ min_obs }} and volume_avg_30d > 0
                then volume / volume_avg_30d
        end as volume_avg_ratio_30d,
        price_change_1d_pct,
        case
            when prev_close > 0
                then 100.0 * ((close + coalesce(dividend_per_share, 0)) / prev_close - 1)
        end as total_return_1d_pct,
        case
            when flow_pct_aum is null or price_change_1d_pct is null then null
            when price_change_1d_pct < 0 then flow_pct_aum
            when price_change_1d_pct > 0 then -1.0 * flow_pct_aum
            else 0.0
        end as flow_price_divergence

    from flows
    where 1 = 1 {{ flows_date_filter('as_of_date', recompute_from) }}

)

select * from final
