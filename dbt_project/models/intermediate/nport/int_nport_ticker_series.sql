{#
    Every ticker of the ETF universe and of the SEC's fund ticker file, with the series
    its N-PORT reports are filed under (null when none is known: the fund files no N-PORT,
    or it is not a registered fund).

    A unit investment trust (SPY, DIA, MDY, QQQ) files N-PORT without series or class, so
    the fund ticker file does not list it; the SEC's company ticker file maps its ticker to
    the trust's CIK, and its reports carry the stand-in key 'CIK' + that CIK
    (stg_edgar__nport_filings). A ticker is mapped that way when the fund ticker file gives
    it no series, its registrant has no series there (a series trust's ETFs file per
    series), and either the universe expects it to file N-PORT or reports without series
    have landed for that CIK. Series-mapped tickers are untouched.
#}

with

universe as (

    select * from {{ ref('etf_universe') }}

),

fund_classes as (

    select * from {{ ref('stg_sec__fund_classes') }}

),

company_tickers as (

    select * from {{ ref('stg_edgar__company_tickers') }}

),

filings as (

    select * from {{ ref('stg_edgar__nport_filings') }}

),

series_tickers as (

    select distinct ticker from fund_classes where series_id is not null

),

series_registrants as (

    select distinct cik from fund_classes where series_id is not null

),

reports_without_series as (

    select distinct series_id from filings where series_id like 'CIK%'

),

cik_candidates as (

    select
        company_tickers.ticker,
        company_tickers.cik,
        -- the stand-in series key of stg_edgar__nport_filings (cik is zero-padded)
        'CIK' || company_tickers.cik as series_id
    from company_tickers
    left join series_tickers
        on company_tickers.ticker = series_tickers.ticker
    left join series_registrants
        on company_tickers.cik = series_registrants.cik
    where series_tickers.ticker is null
        and series_registrants.cik is null

),

cik_tickers as (

    select cik_candidates.*
    from cik_candidates
    left join universe
        on cik_candidates.ticker = universe.ticker
    left join reports_without_series
        on cik_candidates.series_id = reports_without_series.series_id
    where coalesce(universe.files_nport, false)
        or reports_without_series.series_id is not null

),

final as (

    select
        coalesce(universe.ticker, fund_classes.ticker, cik_tickers.ticker) as ticker,
        universe.ticker is not null as in_universe,
        universe.fund_name,
        universe.structure,
        universe.files_nport,
        universe.sector,
        coalesce(fund_classes.series_id, cik_tickers.series_id) as series_id,
        coalesce(fund_classes.cik, cik_tickers.cik) as cik,
        fund_classes.class_id,
        fund_classes.series_id is null and cik_tickers.series_id is not null as is_keyed_by_cik
    from universe
    full outer join fund_classes
        on universe.ticker = fund_classes.ticker
    full outer join cik_tickers
        on coalesce(universe.ticker, fund_classes.ticker) = cik_tickers.ticker

)

select * from final
