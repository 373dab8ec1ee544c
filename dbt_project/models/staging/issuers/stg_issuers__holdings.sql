with

source as (

    select * from {{ source('issuers', 'holdings') }}

),

renamed as (

    select

        ----------  ids
        upper(trim(ticker)) as ticker,
        lower(trim(source)) as source,
        line_number,
        nullif(upper(trim(holding_ticker)), '') as holding_ticker,
        nullif(upper(trim(cusip)), '') as cusip,
        nullif(upper(trim(isin)), '') as isin,
        nullif(upper(trim(sedol)), '') as sedol,

        ----------  dates
        as_of_date,
        maturity_date,

        ----------  descriptive
        nullif(trim(holding_name), '') as holding_name,
        nullif(trim(sector), '') as sector,
        nullif(trim(asset_class), '') as asset_class,
        upper(currency) as currency,
        nullif(trim(location), '') as location,
        nullif(trim(exchange), '') as exchange,

        ----------  numerics
        quantity,
        market_value as market_value_usd,
        notional_value as notional_value_usd,
        weight_pct,
        price,
        coupon_pct,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
