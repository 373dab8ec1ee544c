{#
    One row per ticker per trading day per flow window ('1d', '5d', '20d', 'ytd') whose
    flow is known: int_etf_flow_windows in long form, so top-flow rankings and
    category / sector baskets aggregate one shape. A view (no windows of its own), so
    date filters of incremental callers reach int_etf_flow_windows.
#}

with

windows as (

    select * from {{ ref('int_etf_flow_windows') }}

),

unpivoted as (

    select
        ticker,
        as_of_date,
        '1d' as flow_window,
        cast(1 as bigint) as trading_days,
        net_flow_usd as flow_usd,
        aum_start_usd,
        flow_pct_aum,
        aum_usd,
        return_1d_pct as return_pct,
        smart_money_flow_usd,
        flow_prior_1d_usd as flow_prior_usd
    from windows

    union all

    select
        ticker,
        as_of_date,
        '5d' as flow_window,
        cast(5 as bigint) as trading_days,
        flow_5d_usd as flow_usd,
        aum_start_5d_usd as aum_start_usd,
        flow_5d_pct_aum as flow_pct_aum,
        aum_usd,
        return_5d_pct as return_pct,
        smart_money_flow_5d_usd as smart_money_flow_usd,
        flow_prior_5d_usd as flow_prior_usd
    from windows

    union all

    select
        ticker,
        as_of_date,
        '20d' as flow_window,
        cast(20 as bigint) as trading_days,
        flow_20d_usd as flow_usd,
        aum_start_20d_usd as aum_start_usd,
        flow_20d_pct_aum as flow_pct_aum,
        aum_usd,
        return_20d_pct as return_pct,
        smart_money_flow_20d_usd as smart_money_flow_usd,
        flow_prior_20d_usd as flow_prior_usd
    from windows

    union all

    select
        ticker,
        as_of_date,
        'ytd' as flow_window,
        cast(trading_days_ytd as bigint) as trading_days,
        flow_ytd_usd as flow_usd,
        aum_start_ytd_usd as aum_start_usd,
        flow_ytd_pct_aum as flow_pct_aum,
        aum_usd,
        return_ytd_pct as return_pct,
        cast(null as double) as smart_money_flow_usd,
        cast(null as double) as flow_prior_usd
    from windows

)

select * from unpivoted
where flow_usd is not null
