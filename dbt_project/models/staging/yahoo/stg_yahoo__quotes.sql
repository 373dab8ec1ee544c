with

source as (

    select * from {{ source('yahoo', 'quotes') }}

),

renamed as (

    select

        ----------  ids
        upper(trim(ticker)) as ticker,

        ----------  dates
        as_of_date,

        ----------  descriptive
        nullif(trim(quote_type), '') as quote_type,
        upper(currency) as currency,

        ----------  numerics
        regular_market_price as market_price,
        regular_market_previous_close as previous_close,
        shares_outstanding,
        net_assets as net_assets_usd,
        market_cap as market_cap_usd,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
