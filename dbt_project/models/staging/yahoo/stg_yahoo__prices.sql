with

source as (

    select * from {{ source('yahoo', 'prices') }}

),

renamed as (

    select

        ----------  ids
        upper(trim(ticker)) as ticker,

        ----------  dates
        as_of_date,

        ----------  prices (split-adjusted by Yahoo)
        open,
        high,
        low,
        close,
        adj_close,
        upper(currency) as currency,

        ----------  activity
        volume,

        ----------  events (null on days without one)
        dividend as dividend_per_share,
        case when split_ratio > 0 then split_ratio end as split_ratio,

        ----------  landing
        _fetched_at as fetched_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
