with

source as (

    select * from {{ source('sec_nport_datasets', 'nport_ds_monthly_total_return') }}

),

renamed as (

    select

        ----------  ids
        accession_number,
        nullif(trim(class_id), '') as class_id,

        ----------  B.5.a, percent (mon1 = the first month of the period)
        monthly_total_return1 as total_return_mon1_pct,
        monthly_total_return2 as total_return_mon2_pct,
        monthly_total_return3 as total_return_mon3_pct,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
