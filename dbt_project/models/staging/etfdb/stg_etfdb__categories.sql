with

source as (

    select * from {{ source('etfdb', 'categories') }}

),

renamed as (

    select

        ----------  ids
        category_slug,
        upper(trim(ticker)) as ticker,
        as_of_date,

        ----------  descriptive
        nullif(trim(category_name), '') as category_name,
        nullif(trim(asset_class), '') as asset_class,
        nullif(trim(fund_name), '') as fund_name,

        ----------  numerics
        list_rank,
        total_assets_usd,

        ----------  landing
        _fetched_at as fetched_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
