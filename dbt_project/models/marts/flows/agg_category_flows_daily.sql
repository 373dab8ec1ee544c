{#
    One row per category per trading day per flow window ('1d', '5d', '20d'), at two
    levels: category_level = 'asset_class' (equity, bond, commodity) and 'category'
    (dim_etf.category, Morningstar-style). Arithmetic in flows_basket_flows; funds
    outside the universe count as 'unclassified'. Incremental: each run rebuilds whole
    days from flows_recompute_from() (a day's rows read only that day's fund windows);
    a change of category in dim_etf restates history with --full-refresh.
#}

{{ config(materialized='incremental', unique_key=['as_of_date']) }}

{%- set recompute_from = flows_recompute_from() %}

with

flow_windows as (

    select * from {{ ref('fct_etf_flow_windows') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', recompute_from) }}

),

windows as (

    {{ flows_unpivot_windows('flow_windows', flow_windows=['1d', '5d', '20d']) }}

),

funds as (

    select * from {{ ref('dim_etf') }}

),

members as (

    select
        windows.*,
        coalesce(funds.asset_class, 'unclassified') as asset_class,
        coalesce(funds.category, 'unclassified') as category
    from windows
    left join funds
        on windows.ticker = funds.ticker

),

scaled as (

    {{ flows_basket_members_scaled('members', ['asset_class', 'category']) }}

),

category_sums as (

    -- one pass over the fund-days; both levels add up these exact partial sums
    {{ flows_basket_partial_sums('scaled', ['asset_class', 'category']) }}

),

asset_class_sums as (

    {{ flows_basket_partial_sums('category_sums', ['asset_class']) }}

),

category_level_sums as (

    {{ flows_basket_partial_sums('category_sums', ['category']) }}

),

asset_classes as (

    {{ flows_basket_flows('asset_class_sums', 'asset_class') }}

),

categories as (

    {{ flows_basket_flows('category_level_sums', 'category') }}

),

final as (

    select 'asset_class' as category_level, asset_classes.* from asset_classes
    union all
    select 'category' as category_level, categories.* from categories

)

select
    category_level,
    basket as category,
    as_of_date,
    flow_window,
    net_flow_usd,
    num_etfs,
    avg_flow_pct_aum,
    aum_weighted_flow_pct,
    smart_money_flow_usd,
    price_momentum_pct,
    prior_net_flow_usd,
    flow_momentum_usd,
    aum_usd
from final
