{#
    One row per ticker, date and Yahoo dataset with a vendor share count: the fallback
    where no issuer publishes one (the shares history first, then the quoteSummary count
    — real ETF payloads have none — then the v7 quote's: int_etf_days_aligned), and how
    it compares with the vendor's own net assets. The implied count is the vendor's net assets
    that day (the quote's netAssets, else quoteSummary's totalAssets) over the issuer's
    NAV that day, else the vendor's market price. stale_vendor_count: the count is more
    than var('stale_vendor_count_pct') % away from it — a count from an earlier refresh
    (the real QQQ quote of 2025-02-19 is 35 % off: 393.1 M against 608.7 M).

    is_usable_for_flows: history counts always (the share-count checks judge and repair
    them), a snapshot or quote count only when it is not flagged stale.
#}

{%- set stale_pct = var('stale_vendor_count_pct') | float %}

with

history as (

    select * from {{ ref('stg_yahoo__shares_outstanding') }}

),

snapshots as (

    select * from {{ ref('stg_yahoo__fund_snapshots') }}

),

quotes as (

    select * from {{ ref('stg_yahoo__quotes') }}

),

issuer_days as (

    select * from {{ ref('int_etf_issuer_days') }}

),

counts as (

    select ticker, as_of_date, shares_outstanding, 'shares_history' as vendor_dataset
    from history
    where shares_outstanding is not null
    union all
    select ticker, as_of_date, shares_outstanding, 'quote_summary' as vendor_dataset
    from snapshots
    where shares_outstanding is not null
    union all
    select ticker, as_of_date, shares_outstanding, 'quote' as vendor_dataset
    from quotes
    where shares_outstanding is not null

),

compared as (

    select
        counts.ticker,
        counts.as_of_date,
        counts.vendor_dataset,
        counts.shares_outstanding,
        coalesce(quotes.net_assets_usd, snapshots.total_assets_usd) as vendor_net_assets_usd,
        coalesce(issuer_days.nav, quotes.market_price, snapshots.market_price) as reference_price,
        case
            when issuer_days.nav is not null then 'issuer_nav'
            when coalesce(quotes.market_price, snapshots.market_price) is not null
                then 'vendor_price'
        end as reference_price_source
    from counts
    left join quotes
        on counts.ticker = quotes.ticker
        and counts.as_of_date = quotes.as_of_date
    left join snapshots
        on counts.ticker = snapshots.ticker
        and counts.as_of_date = snapshots.as_of_date
    left join issuer_days
        on counts.ticker = issuer_days.ticker
        and counts.as_of_date = issuer_days.as_of_date

),

measured as (

    select
        compared.*,
        vendor_net_assets_usd / nullif(reference_price, 0) as implied_shares_outstanding,
        shares_outstanding * reference_price / nullif(vendor_net_assets_usd, 0) - 1.0
            as count_vs_net_assets
    from compared

),

final as (

    select
        ----------  ids
        ticker,
        as_of_date,
        vendor_dataset,

        ----------  the count and what net assets imply
        shares_outstanding,
        vendor_net_assets_usd,
        reference_price,
        reference_price_source,
        implied_shares_outstanding,
        100.0 * count_vs_net_assets as count_vs_net_assets_pct,

        ----------  flags
        coalesce(abs(count_vs_net_assets) > {{ stale_pct / 100.0 }}, false)
            as stale_vendor_count,
        vendor_dataset = 'shares_history'
            or not coalesce(abs(count_vs_net_assets) > {{ stale_pct / 100.0 }}, false)
            as is_usable_for_flows

    from measured

)

select * from final
