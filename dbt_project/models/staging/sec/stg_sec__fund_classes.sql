with

source as (

    select * from {{ source('sec', 'fund_classes') }}

),

renamed as (

    select

        ----------  ids
        upper(trim(ticker)) as ticker,
        cik,
        nullif(trim(series_id), '') as series_id,
        trim(class_id) as class_id,

        ----------  landing
        _fetched_at as fetched_at,
        _loaded_at as loaded_at

    from source

),

latest as (

    -- the file is a snapshot: each ticker's class as of the latest fetch that lists it
    select *
    from (
        select
            renamed.*,
            row_number() over (
                partition by ticker
                order by fetched_at desc nulls last, class_id
            ) as recency_rank
        from renamed
    ) as ranked
    where recency_rank = 1

)

select
    ticker,
    cik,
    series_id,
    class_id,
    fetched_at,
    loaded_at
from latest
