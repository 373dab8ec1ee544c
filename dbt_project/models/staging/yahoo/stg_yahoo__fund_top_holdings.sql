with

source as (

    select * from {{ source('yahoo', 'fund_top_holdings') }}

),

renamed as (

    select

        ----------  ids
        upper(trim(ticker)) as ticker,
        rank as holding_rank,
        nullif(upper(trim(holding_symbol)), '') as holding_symbol,

        ----------  dates
        as_of_date,

        ----------  descriptive
        nullif(trim(holding_name), '') as holding_name,

        ----------  numerics
        weight as weight_fraction,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
