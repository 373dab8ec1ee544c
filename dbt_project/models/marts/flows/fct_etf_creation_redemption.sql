{#
    One row per ticker per trading day with a measured share change: the seed's
    ETFCreationRedemption view (creation / redemption units, share change, implied flow,
    premium/discount). A view: a projection of fct_etf_flows_daily.
#}

{{ config(materialized='view') }}


with

flows as (

    select * from {{ ref('fct_etf_flows_daily') }}
    where
        shares_outstanding_change is not null

),

final as (

    select
        ticker,
        as_of_date,
        creation_units,
        redemption_units,
        net_creation_units,
        creation_unit_size,
        creation_unit_size_assumed,
        creation_unit_size_source,
        shares_outstanding_change,
        net_flow_usd as implied_flow_usd,
        nav,
        nav_source,
        premium_discount_bps,
        flow_status
    from flows

)

select * from final
