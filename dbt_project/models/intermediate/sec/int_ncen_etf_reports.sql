{#
    One row per ETF per current N-CEN report (amendments applied, stg_edgar__ncen_filings):
    the ETF's ticker (the one its N-CEN lists, else the SEC fund ticker file's for its
    share class), its creation-unit size and how units were paid, the report's period end
    and filing date.
#}

with

etfs as (

    select * from {{ ref('stg_edgar__ncen_etf_series') }}

),

filings as (

    select * from {{ ref('stg_edgar__ncen_filings') }}

),

fund_classes as (

    select * from {{ ref('stg_sec__fund_classes') }}

),

reported as (

    select
        coalesce(etfs.ticker, fund_classes.ticker) as ticker,
        etfs.series_id,
        etfs.class_id,
        filings.cik,
        filings.registrant_name,
        etfs.fund_name,
        filings.accession_number,
        etfs.record_number,
        filings.report_period_end,
        filings.filing_date,
        etfs.creation_unit_size,
        etfs.creation_unit_redemption_size,
        etfs.purchase_cash_avg_pct,
        etfs.purchase_in_kind_avg_pct,
        etfs.redemption_cash_avg_pct,
        etfs.redemption_in_kind_avg_pct,
        etfs.purchase_fee_per_unit_usd,
        etfs.purchase_fee_pct,
        etfs.redemption_fee_per_unit_usd,
        etfs.redemption_fee_pct,
        etfs.is_in_kind_etf
    from etfs
    inner join filings
        on etfs.accession_number = filings.accession_number
    left join fund_classes
        on etfs.class_id = fund_classes.class_id

),

final as (

    -- one row per ticker and report period (an ETF listed twice in a report: the first)
    select *
    from reported
    where ticker is not null
    qualify row_number() over (
        partition by ticker, report_period_end
        order by filing_date desc nulls last, accession_number desc, record_number
    ) = 1

)

select * from final
