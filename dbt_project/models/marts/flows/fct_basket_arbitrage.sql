{#
    One row per ticker per trading day with a reported NAV: premium/discount against
    NAV, its z-score against the fund's trailing history, the cost band
    (flows_cost_band_bps), the arbitrage opportunity it signals and whether authorized
    participants followed through: net creations (after a premium) or net redemptions
    (after a discount) on any of the next var('arbitrage_follow_through_days') trading
    days. Incremental like fct_etf_flows_daily; the lookback window is longer than the
    follow-through window, so recent rows are completed by later runs.
#}

{{ config(materialized='incremental', unique_key=['ticker', 'as_of_date']) }}

{%- set recompute_from = flows_recompute_from() %}
{%- set horizon = var('arbitrage_follow_through_days') | int %}
{%- set premium_history = var('premium_zscore_history_days') | int %}
{%- set input_from = flows_input_from(recompute_from, premium_history + 5) %}
{%- set min_obs = var('flows_min_observations') %}

with

daily as (

    select * from {{ ref('fct_etf_flows_daily') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', input_from) }}

),

funds as (

    select * from {{ ref('dim_etf') }}

),

follow_through as (

    select
        ticker,
        as_of_date,
        close,
        nav,
        premium_discount_bps,
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
    from daily

),

nav_days as (

    -- the premium's history counts NAV days only
    select
        follow_through.*,
        avg(premium_discount_bps) over (
            partition by ticker order by as_of_date
            rows between {{ premium_history }} preceding and 1 preceding
        ) as premium_hist_mean,
        stddev_samp(premium_discount_bps) over (
            partition by ticker order by as_of_date
            rows between {{ premium_history }} preceding and 1 preceding
        ) as premium_hist_sd,
        count(premium_discount_bps) over (
            partition by ticker order by as_of_date
            rows between {{ premium_history }} preceding and 1 preceding
        ) as premium_hist_days
    from follow_through
    where premium_discount_bps is not null

),

banded as (

    select
        nav_days.*,
        case
            when premium_hist_days >= {{ min_obs }} and premium_hist_sd > 0
                then (premium_discount_bps - premium_hist_mean) / premium_hist_sd
        end as premium_z,
        funds.asset_class,
        {{ flows_cost_band_bps('funds.asset_class') }} as cost_band_bps
    from nav_days
    left join funds
        on nav_days.ticker = funds.ticker
    where 1 = 1 {{ flows_date_filter('nav_days.as_of_date', recompute_from) }}

),

opportunities as (

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

final as (

    select
        opportunities.*,
        case opportunity
            when 'create' then followed_by_creation
            when 'redeem' then followed_by_redemption
        end as follow_through
    from opportunities

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
from final
