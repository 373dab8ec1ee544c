{#
    Whether and how each ETF of the universe reports on Form N-PORT — the place the
    warehouse says so instead of showing zeros. Landed reports win over expectations:
    a fund the seed marks as filing no N-PORT but whose reports are landed "reports".
    Registered investment companies file N-PORT: open-end funds per series, unit
    investment trusts (SPY, DIA, MDY, QQQ) under the trust's CIK (series_id is then the
    stand-in 'CIK' + CIK). Grantor trusts and commodity pools are not registered
    investment companies and file none.
#}

with

universe as (

    select * from {{ ref('etf_universe') }}

),

ticker_series as (

    select * from {{ ref('int_nport_ticker_series') }}
    where in_universe

),

filings as (

    select * from {{ ref('int_nport_filings_sequenced') }}

),

series_reports as (

    select
        series_id,
        count(*) as reports_landed,
        min(period_end) as first_period_end,
        max(period_end) as latest_period_end,
        max(filing_date) as latest_filing_date
    from filings
    group by series_id

),

final as (

    select
        universe.ticker,
        universe.fund_name,
        universe.structure,
        universe.files_nport as files_nport_expected,
        ticker_series.series_id,
        ticker_series.cik,
        ticker_series.class_id,
        case
            when series_reports.series_id is not null then 'reports'
            when universe.structure not in ('open_end_fund', 'uit') or not universe.files_nport
                then 'not_required'
            when ticker_series.series_id is null then 'not_in_sec_fund_map'
            else 'no_reports_landed'
        end as nport_status,
        case
            when series_reports.series_id is not null and ticker_series.is_keyed_by_cik
                then 'public N-PORT reports landed for its trust (a unit investment trust '
                    || 'files under its CIK, without series)'
            when series_reports.series_id is not null
                then 'public N-PORT reports landed for its series'
            when universe.structure = 'grantor_trust'
                then 'grantor trust, not a registered investment company: files no N-PORT'
            when universe.structure = 'commodity_pool'
                then 'commodity pool, not a registered investment company: files no N-PORT'
            when not universe.files_nport
                then 'files no N-PORT (per the ETF universe seed)'
            when ticker_series.series_id is null and universe.structure = 'uit'
                then 'no CIK for this unit investment trust in the SEC company ticker file '
                    || 'landed yet'
            when ticker_series.series_id is null
                then 'no series for this ticker in the SEC fund ticker file landed yet'
            when ticker_series.is_keyed_by_cik
                then 'trust known by its CIK, no N-PORT report landed yet (etfflow ingest nport)'
            else 'series known, no N-PORT report landed yet (etfflow ingest nport)'
        end as nport_status_reason,
        cast(series_reports.reports_landed as bigint) as reports_landed,
        series_reports.first_period_end,
        series_reports.latest_period_end,
        series_reports.latest_filing_date
    from universe
    left join ticker_series
        on universe.ticker = ticker_series.ticker
    left join series_reports
        on ticker_series.series_id = series_reports.series_id

)

select * from final
