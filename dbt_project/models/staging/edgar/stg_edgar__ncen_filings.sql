{#
    One current N-CEN per registrant and reporting period. An N-CEN/A restates the
    report, so it supersedes the original; among several, the latest filed wins, then
    the highest accession number. The filing date is EDGAR's filing list's, else the
    SGML header's FILED AS OF DATE.
#}

with

source as (

    select * from {{ source('edgar_ncen', 'ncen_filings') }}

),

filing_list as (

    select
        accession_number,
        min(filing_date) as filing_date
    from {{ source('edgar_ncen', 'ncen_filings_index') }}
    group by accession_number

),

renamed as (

    select

        ----------  ids
        source.accession_number,
        lpad(trim(source.cik), 10, '0') as cik,
        nullif(trim(source.registrant_name), '') as registrant_name,
        nullif(trim(source.registrant_lei), '') as registrant_lei,
        nullif(trim(source.file_number), '') as file_number,

        ----------  filing
        source.submission_type,
        source.is_amendment,
        source.is_test_filing,
        source.investment_company_type,
        cast(source.etf_count as integer) as etf_count,

        ----------  dates
        source.report_period_end,
        source.is_period_lt_12_months,
        coalesce(filing_list.filing_date, source.filed_date) as filing_date,

        ----------  landing
        source._source_url as source_url,
        source._loaded_at as loaded_at

    from source
    left join filing_list
        on source.accession_number = filing_list.accession_number
    where not coalesce(source.is_test_filing, false)

),

versions as (

    select
        renamed.*,
        row_number() over (
            partition by cik, report_period_end
            order by is_amendment desc, filing_date desc nulls last, accession_number desc
        ) as version_rank,
        count(*) over (partition by cik, report_period_end) as versions_filed
    from renamed

),

current_filings as (

    select
        accession_number,
        cik,
        registrant_name,
        registrant_lei,
        file_number,
        submission_type,
        is_amendment,
        investment_company_type,
        etf_count,
        report_period_end,
        is_period_lt_12_months,
        filing_date,
        versions_filed,
        source_url,
        loaded_at
    from versions
    where version_rank = 1

)

select * from current_filings
