{#
    One row per ticker per trading day with a measured share change: the seed's
    ETFCreationRedemption view (creation / redemption units, share change, implied flow,
    premium/discount). Incremental like fct_etf_flows_daily.
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
    where
        shares_outstanding_change is not null
        {{ flows_date_filter('as_of_date', recompute_from) }}

),

final as (

    select
        ticker,
        as_of_date,
        creation_units,
        redemption_units,
        net_creation_units,
        cast(creation_unit_size as bigint) as creation_unit_size,
        creation_unit_size_assumed,
        shares_outstanding_change,
        net_flow_usd as implied_flow_usd,
        nav,
        nav_source,
        premium_discount_bps,
        flow_status
    from flows

)

select
    ticker,
    as_of_date,
    creation_units,
    redemption_units,
    net_creation_units,
    creation_unit_size,
    creation_unit_size_assumed,
    shares_outstanding_change,
    implied_flow_usd,
    nav,
    nav_source,
    premium_discount_bps,
    flow_status
from final
