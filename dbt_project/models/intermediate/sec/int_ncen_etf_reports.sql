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
    {{ first_row_per(
        'reported',
        columns=[
            'ticker',
            'series_id',
            'class_id',
            'cik',
            'registrant_name',
            'fund_name',
            'accession_number',
            'record_number',
            'report_period_end',
            'filing_date',
            'creation_unit_size',
            'creation_unit_redemption_size',
            'purchase_cash_avg_pct',
            'purchase_in_kind_avg_pct',
            'redemption_cash_avg_pct',
            'redemption_in_kind_avg_pct',
            'purchase_fee_per_unit_usd',
            'purchase_fee_pct',
            'redemption_fee_per_unit_usd',
            'redemption_fee_pct',
            'is_in_kind_etf',
        ],
        partition_by='ticker, report_period_end',
        order_by='filing_date desc nulls last, accession_number desc, record_number',
        where='ticker is not null',
    ) }}

)

select * from final
