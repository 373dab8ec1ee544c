with

source as (

    select * from {{ source('yahoo', 'fund_sector_weights') }}

),

renamed as (

    select

        ----------  ids
        upper(trim(ticker)) as ticker,
        lower(trim(sector)) as sector_key,

        ----------  dates
        as_of_date,

        ----------  numerics
        weight as weight_fraction,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
