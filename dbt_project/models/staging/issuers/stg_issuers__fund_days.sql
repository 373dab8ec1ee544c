with

source as (

    select * from {{ source('issuers', 'fund_days') }}

),

renamed as (

    select

        ----------  ids
        upper(trim(ticker)) as ticker,
        lower(trim(source)) as source,

        ----------  dates
        as_of_date,

        ----------  numerics
        shares_outstanding,
        nav as nav_published,
        total_net_assets as total_net_assets_usd,
        holdings_market_value as holdings_market_value_usd,

        ----------  landing
        _fetched_at as fetched_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
