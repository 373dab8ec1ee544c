with

source as (

    select * from {{ source('edgar_ncen', 'ncen_authorized_participants') }}

),

renamed as (

    select

        ----------  ids
        accession_number,
        cast(record_number as integer) as record_number,
        cast(ap_number as integer) as ap_number,
        series_id,
        nullif(trim(ap_lei), '') as ap_lei,
        nullif(trim(ap_file_number), '') as ap_file_number,
        nullif(trim(ap_crd_number), '') as ap_crd_number,

        ----------  descriptive
        nullif(trim(ap_name), '') as ap_name,
        -- the AP's identity across funds and years: its LEI, else its name
        coalesce(nullif(trim(ap_lei), ''), upper(trim(ap_name))) as ap_key,

        ----------  E.2.e/f dollar value of the fund's shares purchased (created) / redeemed
        purchases_usd,
        redemptions_usd,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
