with

source as (

    select * from {{ source('edgar', 'nport_monthly_returns') }}

),

renamed as (

    select

        ----------  ids
        accession_number,
        nullif(class_id, '') as class_id,
        month_number,

        ----------  dates
        return_month,

        ----------  numerics
        total_return_pct,
        total_return_pct / 100.0 as total_return,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
