with

source as (

    select * from {{ source('issuers', 'funds') }}

),

renamed as (

    select

        ----------  ids
        lower(trim(source)) as source,
        upper(trim(ticker)) as ticker,
        nullif(trim(fund_id), '') as fund_id,

        ----------  descriptive
        nullif(trim(fund_name), '') as fund_name,
        nullif(trim(product_url), '') as product_url,

        ----------  dates
        inception_date,

        ----------  numerics
        net_assets_usd,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
