{#- A view: int_etf_days_aligned is the incremental table it publishes. -#}
{{ config(materialized='view') }}

with

days as (

    select * from {{ ref('int_etf_days_aligned') }}

),

final as (

    select

        ----------  ids
        ticker,
        as_of_date,

        ----------  prices, as traded that day
        open,
        high,
        low,
        close,
        adj_close,
        currency,

        ----------  activity (trading between investors, not a flow)
        volume,
        volume * close as dollar_volume_usd,

        ----------  events
        dividend_per_share,
        split_ratio,
        price_split_factor,

        ----------  nav: the issuer's, on its dates only
        nav,
        nav_source,

        ----------  shares, as-of aligned
        shares_outstanding,
        shares_outstanding_reported,
        shares_split_factor,
        shares_as_of_date,
        shares_age_days,
        shares_source,
        shares_source_type,

        ----------  assets
        shares_outstanding * coalesce(nav, close) as aum_usd,
        case
            when shares_outstanding is null then null
            when nav is not null then nav_source
            when close is not null then 'close'
        end as aum_price_source,
        reported_total_assets_usd

    from days

)

select * from final
