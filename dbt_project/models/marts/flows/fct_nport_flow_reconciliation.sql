{#
    One row per N-PORT series per calendar month it reports (fct_nport_monthly_flows):
    our summed daily estimates against the fund's own Part B.6 figures. Our side sums
    fct_aum_changes' monthly flow over the series' universe tickers (dim_etf_nport maps
    tickers to series); coverage says how many of those ticker-days had a measured flow.
    A table (N-PORT months arrive with filings, months after the fact).
#}

with

nport as (

    select * from {{ ref('fct_nport_monthly_flows') }}

),

series_classes as (

    select * from {{ ref('int_nport_series_tickers') }}

),

fund_series as (

    select * from {{ ref('dim_etf_nport') }}
    where series_id is not null

),

ticker_months as (

    select * from {{ ref('fct_aum_changes') }}
    where period = 'month'

),

our_months as (

    select
        fund_series.series_id,
        ticker_months.period_start_date as month_start,
        count(*) as tickers_priced,
        {{ flows_exact_sum('ticker_months.flow_effect_usd') }} as our_net_flow_usd,
        {{ flows_exact_sum('ticker_months.start_aum_usd') }} as start_aum_usd,
        count(ticker_months.start_aum_usd) as tickers_with_start_aum,
        sum(ticker_months.trading_days) as trading_days,
        sum(ticker_months.days_with_flow) as days_with_flow,
        sum(ticker_months.days_with_issuer_count) as days_with_issuer_count
    from ticker_months
    inner join fund_series
        on ticker_months.ticker = fund_series.ticker
    group by fund_series.series_id, ticker_months.period_start_date

),

reconciled as (

    select
        ----------  ids
        nport.series_id,
        nport.flow_month as month_start,
        nport.ticker,
        nport.etf_tickers,
        nport.series_name,

        ----------  N-PORT Part B.6 (the fund's own figures)
        nport.accession_number,
        nport.period_end,
        nport.sales_usd as nport_sales_usd,
        nport.reinvestments_usd as nport_reinvestments_usd,
        nport.redemptions_usd as nport_redemptions_usd,
        nport.net_flow_usd as nport_net_flow_usd,

        ----------  ours
        round(our_months.our_net_flow_usd, 2) as our_net_flow_usd,
        case
            when our_months.tickers_with_start_aum = our_months.tickers_priced
                then our_months.start_aum_usd
        end as start_aum_usd,
        cast(coalesce(our_months.trading_days, 0) as bigint) as trading_days,
        cast(coalesce(our_months.days_with_flow, 0) as bigint) as days_with_flow,
        case
            when our_months.trading_days is null then null
            when our_months.days_with_issuer_count = our_months.trading_days then 'issuer'
            when our_months.days_with_issuer_count = 0 then 'vendor'
            else 'mixed'
        end as shares_source_type,

        ----------  series structure
        series_classes.share_classes,
        cast(series_classes.universe_tickers as bigint) as universe_tickers,
        coalesce(series_classes.share_classes > series_classes.universe_tickers, false)
            as series_has_other_classes

    from nport
    left join our_months
        on nport.series_id = our_months.series_id
        and nport.flow_month = our_months.month_start
    left join series_classes
        on nport.series_id = series_classes.series_id

),

final as (

    select
        reconciled.*,
        round(our_net_flow_usd - nport_net_flow_usd, 2) as difference_usd,
        case
            when nport_net_flow_usd <> 0
                then 100.0 * (our_net_flow_usd - nport_net_flow_usd) / abs(nport_net_flow_usd)
        end as error_pct,
        case
            when start_aum_usd > 0
                then 100.0 * (our_net_flow_usd - nport_net_flow_usd) / start_aum_usd
        end as difference_pct_aum,
        case when trading_days > 0 then 100.0 * cast(days_with_flow as double) / trading_days end as coverage_pct,
        (
            our_net_flow_usd is not null
            and nport_net_flow_usd is not null
            and trading_days > 0
            and days_with_flow = trading_days
            and not series_has_other_classes
        ) as is_comparable
    from reconciled

)

select
    series_id,
    month_start,
    ticker,
    etf_tickers,
    series_name,
    accession_number,
    period_end,
    nport_sales_usd,
    nport_reinvestments_usd,
    nport_redemptions_usd,
    nport_net_flow_usd,
    our_net_flow_usd,
    difference_usd,
    error_pct,
    start_aum_usd,
    difference_pct_aum,
    trading_days,
    days_with_flow,
    coverage_pct,
    shares_source_type,
    share_classes,
    universe_tickers,
    series_has_other_classes,
    is_comparable
from final
