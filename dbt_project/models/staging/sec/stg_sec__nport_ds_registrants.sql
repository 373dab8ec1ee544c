with

source as (

    select * from {{ source('sec_nport_datasets', 'nport_ds_registrant') }}

),

renamed as (

    select

        ----------  ids
        accession_number,
        lpad(trim(cik), 10, '0') as cik,
        nullif(trim(lei), '') as registrant_lei,
        nullif(trim(file_num), '') as file_number,

        ----------  descriptive
        nullif(trim(registrant_name), '') as registrant_name,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
