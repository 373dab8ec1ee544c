with

source as (

    select * from {{ source('edgar', 'company_tickers') }}

),

renamed as (

    select

        ----------  ids
        upper(trim(ticker)) as ticker,
        cik,

        ----------  descriptive
        nullif(trim(title), '') as company_name,

        ----------  landing
        _fetched_at as fetched_at,
        _loaded_at as loaded_at

    from source

),

latest as (

    -- the file is a snapshot: each ticker's registrant as of the latest fetch that lists it
    select *
    from (
        select
            renamed.*,
            row_number() over (
                partition by ticker
                order by fetched_at desc nulls last, cik
            ) as recency_rank
        from renamed
    ) as ranked
    where recency_rank = 1

)

select
    ticker,
    cik,
    company_name,
    fetched_at,
    loaded_at
from latest
