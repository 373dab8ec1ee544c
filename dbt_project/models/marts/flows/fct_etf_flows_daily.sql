{#
    One row per ticker per trading day: creations and redemptions in USD, the AUM
    decomposition, units, premium/discount and activity. The arithmetic lives in
    int_etf_flows_daily (see its header and the YAML); this mart publishes it.
    Incremental: each run rebuilds the last var('flows_lookback_days') calendar days;
    `--full-refresh` rebuilds everything (backfills).
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

with

flows as (

    select * from {{ ref('int_etf_flows_daily') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', recompute_from) }}

),

final as (

    select

        ----------  ids
        ticker,
        as_of_date,

        ----------  prices
        close,
        nav,
        nav_source,

        ----------  shares (today's units)
        shares_outstanding,
        prev_shares_outstanding as shares_outstanding_prev,
        split_ratio,
        shares_outstanding_change,
        shares_report_date,
        cast(shares_report_lag_days as integer) as shares_report_lag_days,
        flow_status,

        ----------  flows and AUM
        net_flow_usd,
        aum_usd,
        aum_start_usd,
        flow_pct_aum,
        market_effect_usd,
        distributions_usd,

        ----------  creation units
        cast(creation_unit_size as bigint) as creation_unit_size,
        creation_unit_size_assumed,
        creation_units,
        redemption_units,
        net_creation_units,

        ----------  premium / discount
        premium_discount_bps,

        ----------  activity and price
        volume,
        dollar_volume_usd,
        volume_avg_ratio_30d,
        price_change_1d_pct,
        flow_price_divergence

    from flows

)

select
    ticker,
    as_of_date,
    close,
    nav,
    nav_source,
    shares_outstanding,
    shares_outstanding_prev,
    split_ratio,
    shares_outstanding_change,
    shares_report_date,
    shares_report_lag_days,
    flow_status,
    net_flow_usd,
    aum_usd,
    aum_start_usd,
    flow_pct_aum,
    market_effect_usd,
    distributions_usd,
    creation_unit_size,
    creation_unit_size_assumed,
    creation_units,
    redemption_units,
    net_creation_units,
    premium_discount_bps,
    volume,
    dollar_volume_usd,
    volume_avg_ratio_30d,
    price_change_1d_pct,
    flow_price_divergence
from final
