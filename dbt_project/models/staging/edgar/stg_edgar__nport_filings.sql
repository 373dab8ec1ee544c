{#
    One current filing per series and reporting period. An NPORT-P/A supersedes the
    original for the same series and period (an amendment restates every item); among
    several amendments the latest filed wins, then the highest accession number. The
    filing date is not in primary_doc.xml: it comes from EDGAR's filing list (null for
    a local file EDGAR has not listed).
#}

with

source as (

    select * from {{ source('edgar', 'nport_filings') }}

),

filing_list as (

    select
        accession_number,
        min(filing_date) as filing_date
    from {{ source('edgar', 'nport_filings_index') }}
    group by accession_number

),

renamed as (

    select

        ----------  ids
        source.accession_number,
        -- a registrant without series (a unit investment trust such as SPY, a closed-end
        -- fund) files under its CIK alone: the stand-in key 'CIK' + the CIK zero-padded to
        -- 10 digits, as the plugin keys the trust's filing list (cik_key) and
        -- int_nport_ticker_series maps its ticker
        coalesce(
            nullif(nullif(trim(source.series_id), ''), 'N/A'),
            'CIK' || lpad(trim(source.cik), 10, '0')
        ) as series_id,
        source.cik,
        nullif(trim(source.registrant_name), '') as registrant_name,
        nullif(trim(source.series_name), '') as series_name,
        nullif(trim(source.series_lei), '') as series_lei,
        source.class_ids,

        ----------  filing
        source.submission_type,
        source.is_amendment,
        source.submission_type like 'NPORT-P%' as is_public,
        source.is_test_filing,
        source.is_final_filing,

        ----------  dates
        source.period_end,
        source.fiscal_year_end,
        filing_list.filing_date,

        ----------  numerics
        source.total_assets_usd,
        source.total_liabilities_usd,
        source.net_assets_usd,
        source.holdings_count,

        ----------  landing
        source._source_url as source_url,
        source._loaded_at as loaded_at

    from source
    left join filing_list
        on source.accession_number = filing_list.accession_number

),

versions as (

    select
        renamed.*,
        row_number() over (
            partition by series_id, period_end
            order by is_amendment desc, filing_date desc nulls last, accession_number desc
        ) as version_rank,
        count(*) over (partition by series_id, period_end) as versions_filed
    from renamed

),

current_filings as (

    select
        accession_number,
        series_id,
        cik,
        registrant_name,
        series_name,
        series_lei,
        class_ids,
        submission_type,
        is_amendment,
        is_public,
        is_test_filing,
        is_final_filing,
        period_end,
        fiscal_year_end,
        filing_date,
        total_assets_usd,
        total_liabilities_usd,
        net_assets_usd,
        holdings_count,
        versions_filed,
        source_url,
        loaded_at
    from versions
    where version_rank = 1

)

select * from current_filings
