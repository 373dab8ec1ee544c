with

source as (

    select * from {{ source('yahoo', 'fund_snapshots') }}

),

renamed as (

    select

        ----------  ids
        upper(trim(ticker)) as ticker,

        ----------  dates
        as_of_date,
        inception_date,

        ----------  descriptive
        nullif(trim(long_name), '') as fund_name,
        nullif(trim(quote_type), '') as quote_type,
        nullif(trim(category), '') as category,
        nullif(trim(fund_family), '') as fund_family,
        nullif(trim(legal_type), '') as legal_type,
        nullif(trim(exchange), '') as exchange,
        upper(currency) as currency,

        ----------  numerics
        total_assets as total_assets_usd,
        nav_price as nav_price_previous_close,  -- Yahoo's navPrice is no NAV
        regular_market_price as market_price,
        shares_outstanding,
        expense_ratio,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
