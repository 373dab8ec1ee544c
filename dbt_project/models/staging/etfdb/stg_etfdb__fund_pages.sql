with

source as (

    select * from {{ source('etfdb', 'fund_pages') }}

),

renamed as (

    select

        ----------  ids
        upper(trim(ticker)) as ticker,

        ----------  dates
        as_of_date,
        inception_date,
        flows_as_of_date,

        ----------  descriptive
        nullif(trim(fund_name), '') as fund_name,
        nullif(trim(issuer), '') as issuer,
        nullif(trim(brand), '') as brand,
        nullif(trim(structure), '') as structure,
        nullif(trim(index_tracked), '') as index_tracked,
        nullif(trim(category), '') as category,
        nullif(trim(asset_class), '') as asset_class,
        themes,
        nullif(trim(segment), '') as segment,
        nullif(trim(factset_category), '') as factset_category,
        nullif(trim(factset_focus), '') as factset_focus,
        nullif(trim(factset_niche), '') as factset_niche,
        nullif(trim(factset_strategy), '') as factset_strategy,
        nullif(trim(factset_weighting_scheme), '') as factset_weighting_scheme,

        ----------  numerics
        expense_ratio,
        aum_usd,
        shares_outstanding,
        avg_volume_1m,
        avg_volume_3m,
        flows_shown,

        ----------  landing
        _fetched_at as fetched_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
