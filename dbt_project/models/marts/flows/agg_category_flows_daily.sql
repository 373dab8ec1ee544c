{#
    One row per category per trading day per flow window ('1d', '5d', '20d'), at two
    levels: category_level = 'asset_class' (equity, bond, commodity) and 'category'
    (dim_etf.category, Morningstar-style). Arithmetic in flows_basket_flows; funds
    outside the universe count as 'unclassified'. A table, rebuilt in full each run.
#}

with

flow_windows as (

    select * from {{ ref('fct_etf_flow_windows') }}

),

windows as (

    {{ flows_unpivot_windows('flow_windows', flow_windows=['1d', '5d', '20d']) }}

),

funds as (

    select * from {{ ref('dim_etf') }}

),

by_asset_class as (

    select
        windows.*,
        coalesce(funds.asset_class, 'unclassified') as basket
    from windows
    left join funds
        on windows.ticker = funds.ticker

),

by_category as (

    select
        windows.*,
        coalesce(funds.category, 'unclassified') as basket
    from windows
    left join funds
        on windows.ticker = funds.ticker

),

asset_classes as (

    {{ flows_basket_flows('by_asset_class') }}

),

categories as (

    {{ flows_basket_flows('by_category') }}

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
