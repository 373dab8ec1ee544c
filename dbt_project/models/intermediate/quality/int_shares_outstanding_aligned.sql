{#
    One row per ticker per trading day: the columns of int_etf_days_aligned the share-count
    checks read (the day's close, events, snapshot NAV and total assets, the as-of aligned
    share count and its report), materialized once so the four check models do not each
    re-evaluate that view. No logic of its own.
#}

{{ config(materialized='table') }}

with

days as (

    select * from {{ ref('int_etf_days_aligned') }}

),

final as (

    select
        ----------  ids
        ticker,
        as_of_date,

        ----------  the day
        close,
        volume,
        dividend_per_share,
        split_ratio,
        nav,
        reported_total_assets_usd,

        ----------  the share count, as reported and aligned
        shares_outstanding,
        shares_outstanding_reported,
        shares_as_of_date,
        shares_source

    from days

)

select * from final
