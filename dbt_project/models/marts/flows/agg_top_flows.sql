{#
    One row per ticker per trading day per flow window ('1d', '5d', '20d', 'ytd') with a
    known window flow: the flow, flow % of AUM at the window's start, AUM, total return,
    and ranks among all funds and within the fund's category group that day, so
    "top 20 bond inflows this week" is
        where flow_window = '5d' and category_group = 'bond' and as_of_date = <day>
          and inflow_rank_in_category <= 20
    A view: ranks are per day, so a query filtering as_of_date by value ranks only that
    day (the filter reaches fct_etf_flow_windows through the partition).
#}

{{ config(materialized='view') }}


with

flow_windows as (

    select * from {{ ref('fct_etf_flow_windows') }}

),

windows as (

    {{ flows_unpivot_windows('flow_windows') }}

),

funds as (

    select * from {{ ref('dim_etf') }}

),

trust as (

    -- share-count quality (models/marts/quality): the window's lowest daily confidence
    select * from {{ ref('fct_etf_flows_dual_method') }}

),

classified as (

    select
        windows.ticker,
        windows.as_of_date,
        windows.flow_window,
        windows.trading_days,
        windows.flow_usd,
        windows.aum_start_usd,
        windows.flow_pct_aum,
        windows.aum_usd,
        windows.return_pct,
        funds.fund_name,
        funds.asset_class,
        funds.category,
        case
            when funds.seed_group in ('sector', 'sector_basket') then 'sector'
            else coalesce(funds.asset_class, 'unclassified')
        end as category_group,
        case windows.flow_window
            when '1d' then trust.confidence
            when '5d' then trust.confidence_5d
            when '20d' then trust.confidence_20d
            when 'ytd' then trust.confidence_ytd
        end as confidence
    from windows
    left join funds
        on windows.ticker = funds.ticker
    left join trust
        on windows.ticker = trust.ticker
        and windows.as_of_date = trust.as_of_date

),

ranked as (

    select
        classified.*,
        flow_usd / trading_days as flow_avg_daily_usd,
        -- bigint ranks (Spark's rank() is an int); nulls last on every engine
        cast(rank() over (
            partition by as_of_date, flow_window order by flow_usd desc nulls last
        ) as bigint) as inflow_rank_overall,
        cast(rank() over (
            partition by as_of_date, flow_window, category_group
            order by flow_usd desc nulls last
        ) as bigint) as inflow_rank_in_category,
        cast(rank() over (
            partition by as_of_date, flow_window order by flow_usd asc nulls last
        ) as bigint) as outflow_rank_overall,
        cast(rank() over (
            partition by as_of_date, flow_window, category_group
            order by flow_usd asc nulls last
        ) as bigint) as outflow_rank_in_category
    from classified

)

select
    ticker,
    as_of_date,
    flow_window,
    fund_name,
    asset_class,
    category,
    category_group,
    trading_days,
    flow_usd,
    flow_avg_daily_usd,
    aum_start_usd,
    flow_pct_aum,
    aum_usd,
    return_pct,
    inflow_rank_overall,
    inflow_rank_in_category,
    outflow_rank_overall,
    outflow_rank_in_category,
    confidence
from ranked
