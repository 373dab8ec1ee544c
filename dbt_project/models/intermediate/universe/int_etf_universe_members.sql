{#
    One row per ticker known to the warehouse: the seed universe (always included), every
    ticker etfdb has listed on a category page or shown a fund page for, and every
    exchange-listed share class in the SEC's mutual fund and ETF ticker file
    (stg_sec__fund_classes, landed by the N-PORT plugin's fund_map stage). That file does
    not say which classes are ETFs; it lists mutual funds too. NASDAQ gives mutual fund
    and money market share classes five-letter symbols ending in X, which exchange-listed
    funds do not use, so symbols of five or more letters ending in X are left out and
    every other symbol is taken as an ETF candidate (an ETF share class of a mutual fund
    counts as an ETF). A heuristic: etfdb's listing confirms a candidate.

    listing_status follows etfdb's category listings: 'listed' when the ticker appears in
    the latest fetch of some category page, 'not_listed' when it was listed before but is
    missing from the latest fetch of every category it appeared in (a closure, or a move to
    a category we no longer walk), null when no category page ever listed it.
#}

-- a table: the snapshot and the tests read it several times; computing it once is cheaper
{{ config(materialized='table') }}

with

seed as (

    select upper(ticker) as ticker from {{ ref('etf_universe') }}

),

listings as (

    select * from {{ ref('stg_etfdb__categories') }}

),

pages as (

    select * from {{ ref('stg_etfdb__fund_pages') }}

),

latest_listing_day as (

    select
        category_slug,
        max(as_of_date) as as_of_date
    from listings
    group by category_slug

),

listed_now as (

    select distinct listings.ticker
    from listings
    inner join latest_listing_day
        on listings.category_slug = latest_listing_day.category_slug
        and listings.as_of_date = latest_listing_day.as_of_date

),

sec_candidates as (

    select
        ticker,
        cik,
        series_id,
        class_id,
        fetched_at
    from {{ ref('stg_sec__fund_classes') }}
    where not ({{ dbt.length('ticker') }} >= 5 and {{ dbt.right('ticker', 1) }} = 'X')

),

ever_listed as (

    select distinct ticker from listings

),

etfdb_observations as (

    select ticker, fetched_at from listings
    union all
    select ticker, fetched_at from pages

),

etfdb_seen as (

    select
        ticker,
        min(fetched_at) as first_seen_at,
        max(fetched_at) as last_seen_at
    from etfdb_observations
    group by ticker

),

tickers as (

    select ticker from seed
    union
    select ticker from etfdb_seen
    union
    select ticker from sec_candidates

),

final as (

    select

        ----------  ids
        tickers.ticker,

        ----------  where it comes from
        seed.ticker is not null as in_seed_universe,
        etfdb_seen.ticker is not null as in_etfdb,
        sec_candidates.ticker is not null as in_sec,
        concat_ws(
            ',',
            case when seed.ticker is not null then 'seed' end,
            case when etfdb_seen.ticker is not null then 'etfdb' end,
            case when sec_candidates.ticker is not null then 'sec' end
        ) as discovered_by,

        ----------  SEC identifiers (N-PORT is filed per series)
        sec_candidates.cik as sec_cik,
        sec_candidates.series_id as sec_series_id,
        sec_candidates.class_id as sec_class_id,

        ----------  listing
        case
            when listed_now.ticker is not null then 'listed'
            when ever_listed.ticker is not null then 'not_listed'
        end as listing_status,

        ----------  timestamps
        etfdb_seen.first_seen_at,
        etfdb_seen.last_seen_at

    from tickers
    left join seed
        on tickers.ticker = seed.ticker
    left join etfdb_seen
        on tickers.ticker = etfdb_seen.ticker
    left join sec_candidates
        on tickers.ticker = sec_candidates.ticker
    left join listed_now
        on tickers.ticker = listed_now.ticker
    left join ever_listed
        on tickers.ticker = ever_listed.ticker

)

select * from final
