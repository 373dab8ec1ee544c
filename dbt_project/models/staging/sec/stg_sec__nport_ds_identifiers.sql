with

source as (

    select * from {{ source('sec_nport_datasets', 'nport_ds_identifiers') }}

),

renamed as (

    select

        ----------  ids
        holding_id,
        identifiers_id,
        upper(nullif(nullif(trim(identifier_isin), ''), 'N/A')) as isin,
        upper(nullif(nullif(trim(identifier_ticker), ''), 'N/A')) as security_ticker,
        nullif(trim(other_identifier), '') as other_id,
        nullif(trim(other_identifier_desc), '') as other_id_desc,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
