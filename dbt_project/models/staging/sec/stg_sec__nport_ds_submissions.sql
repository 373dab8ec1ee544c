with

source as (

    select * from {{ source('sec_nport_datasets', 'nport_ds_submission') }}

),

renamed as (

    select

        ----------  ids
        accession_number,
        nullif(trim(file_num), '') as file_number,

        ----------  filing
        upper(trim(sub_type)) as submission_type,
        upper(trim(sub_type)) like '%/A' as is_amendment,
        case upper(trim(is_last_filing)) when 'Y' then true when 'N' then false end
            as is_final_filing,

        ----------  dates
        filing_date,
        report_date as period_end,
        report_ending_period as fiscal_year_end,

        ----------  landing
        _source_url as source_url,
        _loaded_at as loaded_at

    from source

)

select * from renamed
