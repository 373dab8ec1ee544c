with

source as (

    select * from {{ source('yahoo', 'shares_outstanding') }}

),

renamed as (

    select

        ----------  ids
        upper(trim(ticker)) as ticker,

        ----------  dates
        as_of_date,
        reported_at,

        ----------  numerics
        shares_outstanding,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
