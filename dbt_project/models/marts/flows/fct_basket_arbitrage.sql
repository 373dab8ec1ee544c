{#
    One row per ticker per trading day with a reported NAV: premium/discount against
    NAV, its z-score against the fund's trailing history, the cost band
    (flows_cost_band_bps), the arbitrage opportunity it signals and whether authorized
    participants followed through: net creations (after a premium) or net redemptions
    (after a discount) on any of the next var('arbitrage_follow_through_days') trading
    days. Incremental like fct_etf_flows_daily; the lookback window is longer than the
    follow-through window, so recent rows are completed by later runs.
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
{%- set horizon = var('arbitrage_follow_through_days') | int %}

with

windows as (

    select * from {{ ref('int_etf_flow_windows') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', recompute_from) }}

),

daily as (

    select * from {{ ref('int_etf_flows_daily') }}
    where nav_source = 'nav' {{ flows_date_filter('as_of_date', recompute_from) }}

),

funds as (

    select * from {{ ref('dim_etf') }}

),

follow_through as (

    select
        ticker,
        as_of_date,
        premium_discount_bps,
        premium_z,
        net_creation_units,
        sum(net_creation_units) over (
            partition by ticker order by as_of_date
            rows between 1 following and {{ horizon }} following
        ) as net_creation_units_next,
        max(net_creation_units) over (
            partition by ticker order by as_of_date
            rows between 1 following and {{ horizon }} following
        ) as max_net_creation_units_next,
        min(net_creation_units) over (
            partition by ticker order by as_of_date
            rows between 1 following and {{ horizon }} following
        ) as min_net_creation_units_next,
        count(net_creation_units) over (
            partition by ticker order by as_of_date
            rows between 1 following and {{ horizon }} following
        ) as days_measured_next
    from windows

),

banded as (

    select
        follow_through.*,
        daily.close,
        daily.nav,
        funds.asset_class,
        {{ flows_cost_band_bps('funds.asset_class') }} as cost_band_bps
    from follow_through
    inner join daily
        on follow_through.ticker = daily.ticker
        and follow_through.as_of_date = daily.as_of_date
    left join funds
        on follow_through.ticker = funds.ticker
    where follow_through.premium_discount_bps is not null

),

final as (

    select
        ticker,
        as_of_date,
        asset_class,
        close,
        nav,
        premium_discount_bps,
        premium_z,
        cost_band_bps,
        case
            when premium_discount_bps > cost_band_bps then 'create'
            when premium_discount_bps < -1.0 * cost_band_bps then 'redeem'
            else 'none'
        end as opportunity,
        net_creation_units,
        case when days_measured_next = {{ horizon }} then net_creation_units_next end
            as net_creation_units_next,
        case when days_measured_next = {{ horizon }} then max_net_creation_units_next > 0 end
            as followed_by_creation,
        case when days_measured_next = {{ horizon }} then min_net_creation_units_next < 0 end
            as followed_by_redemption
    from banded

),

with_follow_through as (

    select
        final.*,
        case opportunity
            when 'create' then followed_by_creation
            when 'redeem' then followed_by_redemption
        end as follow_through
    from final

)

select
    ticker,
    as_of_date,
    asset_class,
    close,
    nav,
    premium_discount_bps,
    premium_z,
    cost_band_bps,
    opportunity,
    net_creation_units,
    net_creation_units_next,
    followed_by_creation,
    followed_by_redemption,
    follow_through
from with_follow_through
