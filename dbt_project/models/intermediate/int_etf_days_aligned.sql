{#
    One row per ticker per trading day, with the share count that applies to that day.

    As-of rule: a share count reported on day D is the count at the close of D. A
    trading day t takes the latest count reported on or before t (a count reported on
    a weekend or holiday applies from the next trading day), carried for at most
    var('shares_max_carry_days') calendar days; older or absent counts leave the day's
    shares null. Counts come from Yahoo's shares history and, on dates the history
    lacks, from the fund snapshot (history preferred when both exist).

    Splits: counts are as reported, i.e. in the share units of their own date. A count
    carried across a split going ex after its report date and on or before t is
    multiplied by those splits' ratios (rounded to whole shares), so a split never
    looks like a flow. A count reported on the ex-date itself is already post-split.

    NAV: Yahoo has no NAV history; a snapshot's NAV (and total assets) describes its
    own date only and is null on every other day.

    Prices: Yahoo serves bars split-adjusted for every split that had gone ex when they
    were fetched (prices and dividends divided by the ratio, volume multiplied), so
    rows landed before and after a split are in different units. Each row is restored
    to its as-traded units by undoing the splits going ex after its date and on or
    before the day its payload was fetched (`fetched_at`, kept by the landing for every
    row, live or replayed from the archive). Shares,
    NAV and prices are then all in the units of their own day.

    Incremental (the daily path): each run rebuilds the rows dated from
    flows_recompute_from() and reads counts from var('shares_max_carry_days') before
    that (older ones cannot apply); split events are read in full. A backfill that
    re-lands older rows needs `--full-refresh`.
#}

{{ config(materialized='incremental', unique_key=['ticker', 'as_of_date']) }}

{%- set recompute_from = flows_recompute_from() %}
{%- set counts_from = flows_input_from(recompute_from, calendar_days=var('shares_max_carry_days')) %}

with

all_prices as (

    select * from {{ ref('stg_yahoo__prices') }}

),

prices as (

    select * from all_prices
    where 1 = 1 {{ flows_date_filter('as_of_date', recompute_from) }}

),

shares_history as (

    select * from {{ ref('stg_yahoo__shares_outstanding') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', counts_from) }}

),

snapshots as (

    select * from {{ ref('stg_yahoo__fund_snapshots') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', counts_from) }}

),

trading_days as (

    -- a trading day is a date with a bar; event-only rows (no bar) still count as splits
    select
        ticker,
        as_of_date
    from prices
    where close is not null

),

history_counts as (

    select
        ticker,
        as_of_date as shares_as_of_date,
        shares_outstanding as shares_outstanding_reported,
        'yahoo_shares_history' as shares_source
    from shares_history
    where shares_outstanding is not null

),

snapshot_counts as (

    select
        snapshots.ticker,
        snapshots.as_of_date as shares_as_of_date,
        snapshots.shares_outstanding as shares_outstanding_reported,
        'yahoo_fund_snapshot' as shares_source
    from snapshots
    left join history_counts
        on snapshots.ticker = history_counts.ticker
        and snapshots.as_of_date = history_counts.shares_as_of_date
    where
        snapshots.shares_outstanding is not null
        and history_counts.ticker is null

),

share_counts as (

    select * from history_counts
    union all
    select * from snapshot_counts

),

days_with_counts as (

    {{ asof_join(
        left='trading_days',
        right='share_counts',
        partition_by='ticker',
        left_date='as_of_date',
        right_date='shares_as_of_date',
        left_columns=['ticker', 'as_of_date'],
        right_columns=['shares_as_of_date', 'shares_outstanding_reported', 'shares_source'],
    ) }}

),

fresh_counts as (

    select
        ticker,
        as_of_date,
        shares_as_of_date,
        shares_outstanding_reported,
        shares_source,
        {{ dbt.datediff('shares_as_of_date', 'as_of_date', 'day') }} as shares_age_days
    from days_with_counts
    where
        shares_as_of_date is not null
        and {{ dbt.datediff('shares_as_of_date', 'as_of_date', 'day') }}
            <= {{ var('shares_max_carry_days') }}

),

split_events as (

    select
        ticker,
        as_of_date as split_date,
        split_ratio
    from all_prices
    where split_ratio is not null and split_ratio <> 1

),

price_adjustments as (

    -- splits Yahoo had applied to a row when it was landed, to be undone
    select
        prices.ticker,
        prices.as_of_date,
        round(exp(sum(ln(split_events.split_ratio))), 12) as price_split_factor
    from prices
    inner join split_events
        on prices.ticker = split_events.ticker
        and split_events.split_date > prices.as_of_date
        and split_events.split_date <= cast(prices.fetched_at as date)
    group by prices.ticker, prices.as_of_date

),

split_factors as (

    -- product of the ratios of splits after the report date, up to the trading day
    select
        fresh_counts.ticker,
        fresh_counts.as_of_date,
        round(exp(sum(ln(split_events.split_ratio))), 12) as shares_split_factor
    from fresh_counts
    inner join split_events
        on fresh_counts.ticker = split_events.ticker
        and split_events.split_date > fresh_counts.shares_as_of_date
        and split_events.split_date <= fresh_counts.as_of_date
    group by fresh_counts.ticker, fresh_counts.as_of_date

),

final as (

    select
        ----------  ids
        prices.ticker,
        prices.as_of_date,

        ----------  prices and events, as traded that day
        prices.open * coalesce(price_adjustments.price_split_factor, 1.0) as open,
        prices.high * coalesce(price_adjustments.price_split_factor, 1.0) as high,
        prices.low * coalesce(price_adjustments.price_split_factor, 1.0) as low,
        prices.close * coalesce(price_adjustments.price_split_factor, 1.0) as close,
        prices.adj_close,
        prices.currency,
        case
            when price_adjustments.price_split_factor is null then prices.volume
            else cast(round(prices.volume / price_adjustments.price_split_factor, 0) as bigint)
        end as volume,
        prices.dividend_per_share
            * coalesce(price_adjustments.price_split_factor, 1.0) as dividend_per_share,
        prices.split_ratio,
        coalesce(price_adjustments.price_split_factor, 1.0) as price_split_factor,

        ----------  shares, as-of aligned
        case
            when split_factors.shares_split_factor is null
                then fresh_counts.shares_outstanding_reported
            else round(fresh_counts.shares_outstanding_reported * split_factors.shares_split_factor, 0)
        end as shares_outstanding,
        fresh_counts.shares_outstanding_reported,
        case
            when fresh_counts.shares_as_of_date is not null
                then coalesce(split_factors.shares_split_factor, 1.0)
        end as shares_split_factor,
        fresh_counts.shares_as_of_date,
        fresh_counts.shares_age_days,
        fresh_counts.shares_source,

        ----------  snapshot values, on the snapshot date only
        snapshots.nav,
        snapshots.total_assets_usd as reported_total_assets_usd

    from prices
    left join price_adjustments
        on prices.ticker = price_adjustments.ticker
        and prices.as_of_date = price_adjustments.as_of_date
    left join fresh_counts
        on prices.ticker = fresh_counts.ticker
        and prices.as_of_date = fresh_counts.as_of_date
    left join split_factors
        on prices.ticker = split_factors.ticker
        and prices.as_of_date = split_factors.as_of_date
    left join snapshots
        on prices.ticker = snapshots.ticker
        and prices.as_of_date = snapshots.as_of_date
    where prices.close is not null

)

select * from final
