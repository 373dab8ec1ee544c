{#
    One current filing per series and reporting period, from both routes N-PORT lands by:
    the filings' own primary_doc.xml (edgar_nport) and the SEC's quarterly data sets
    (sec_nport_datasets: SUBMISSION x REGISTRANT x FUND_REPORTED_INFO). A filing landed
    both ways is taken from its XML (data_source 'xml'; the data sets add its filing date
    when EDGAR's filing list is not landed); one landed only through a data set is
    data_source 'dataset'. An NPORT-P/A supersedes the original for the same series and
    period (an amendment restates every item); among several amendments the latest filed
    wins, then the highest accession number. The filing date is not in primary_doc.xml:
    it comes from EDGAR's filing list, else the data set's SUBMISSION (null for a local
    file neither lists).
#}

with

xml_filings as (

    select * from {{ source('edgar', 'nport_filings') }}

),

dataset_submissions as (

    select * from {{ ref('stg_sec__nport_ds_submissions') }}

),

dataset_registrants as (

    select * from {{ ref('stg_sec__nport_ds_registrants') }}

),

dataset_funds as (

    select * from {{ ref('stg_sec__nport_ds_fund_info') }}

),

dataset_classes as (

    select
        accession_number,
        {{ dbt.listagg('class_id', "','", 'order by class_id') }} as class_ids
    from {{ ref('stg_sec__nport_ds_monthly_returns') }}
    where class_id is not null
    group by accession_number

),

dataset_holding_counts as (

    select accession_number, count(*) as holdings_count
    from {{ ref('stg_sec__nport_ds_holdings') }}
    group by accession_number

),

dataset_filings as (

    -- the data sets hold only public filings (NPORT-P, NPORT-P/A; NT notices have no Part B)
    select
        dataset_submissions.accession_number,
        dataset_registrants.cik,
        dataset_registrants.registrant_name,
        dataset_funds.series_id,
        dataset_funds.series_name,
        dataset_funds.series_lei,
        dataset_classes.class_ids,
        dataset_submissions.submission_type,
        dataset_submissions.is_amendment,
        false as is_test_filing,
        dataset_submissions.period_end,
        dataset_submissions.fiscal_year_end,
        dataset_submissions.is_final_filing,
        dataset_funds.total_assets_usd,
        dataset_funds.total_liabilities_usd,
        dataset_funds.net_assets_usd,
        cast(dataset_holding_counts.holdings_count as integer) as holdings_count,
        dataset_submissions.filing_date,
        'dataset' as data_source,
        dataset_submissions.source_url as _source_url,
        dataset_submissions.loaded_at as _loaded_at
    from dataset_submissions
    inner join dataset_funds
        on dataset_submissions.accession_number = dataset_funds.accession_number
    left join dataset_registrants
        on dataset_submissions.accession_number = dataset_registrants.accession_number
    left join dataset_classes
        on dataset_submissions.accession_number = dataset_classes.accession_number
    left join dataset_holding_counts
        on dataset_submissions.accession_number = dataset_holding_counts.accession_number
    where dataset_submissions.submission_type in ('NPORT-P', 'NPORT-P/A')

),

source as (

    select
        xml_filings.accession_number,
        xml_filings.cik,
        xml_filings.registrant_name,
        xml_filings.series_id,
        xml_filings.series_name,
        xml_filings.series_lei,
        xml_filings.class_ids,
        xml_filings.submission_type,
        xml_filings.is_amendment,
        xml_filings.is_test_filing,
        xml_filings.period_end,
        xml_filings.fiscal_year_end,
        xml_filings.is_final_filing,
        xml_filings.total_assets_usd,
        xml_filings.total_liabilities_usd,
        xml_filings.net_assets_usd,
        xml_filings.holdings_count,
        dataset_submissions.filing_date as dataset_filing_date,
        'xml' as data_source,
        xml_filings._source_url,
        xml_filings._loaded_at
    from xml_filings
    left join dataset_submissions
        on xml_filings.accession_number = dataset_submissions.accession_number

    union all

    select
        accession_number,
        cik,
        registrant_name,
        series_id,
        series_name,
        series_lei,
        class_ids,
        submission_type,
        is_amendment,
        is_test_filing,
        period_end,
        fiscal_year_end,
        is_final_filing,
        total_assets_usd,
        total_liabilities_usd,
        net_assets_usd,
        holdings_count,
        filing_date as dataset_filing_date,
        data_source,
        _source_url,
        _loaded_at
    from dataset_filings
    where accession_number not in (select accession_number from xml_filings)

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
        coalesce(filing_list.filing_date, source.dataset_filing_date) as filing_date,

        ----------  numerics
        source.total_assets_usd,
        source.total_liabilities_usd,
        source.net_assets_usd,
        source.holdings_count,

        ----------  landing
        source.data_source,
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
        data_source,
        source_url,
        loaded_at
    from versions
    where version_rank = 1

)

select * from current_filings
