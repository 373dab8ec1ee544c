with

source as (

    select * from {{ source('edgar', 'nport_filings_index') }}

),

renamed as (

    select

        ----------  ids
        accession_number,
        series_id,
        cik,

        ----------  filing
        form_type,
        form_type like '%/A' as is_amendment,
        filing_date,
        primary_doc_url,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
