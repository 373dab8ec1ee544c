{#
    One row per ticker per trading day, with the share count that applies to that day.

    As-of rule: a share count reported on day D is the count at the close of D. A
    trading day t takes the latest count reported on or before t (a count reported on
    a weekend or holiday applies from the next trading day), carried for at most
    var('shares_max_carry_days') calendar days; older or absent counts leave the day's
    shares null.

    Source precedence, per ticker-day: the issuer's own count (int_etf_issuer_days:
    iShares holdings files, State Street NAV history) whenever one is fresh, else
    Yahoo's shares history, else its quoteSummary or v7 quote count unless flagged
    stale (int_etf_vendor_counts). Each source is aligned on its own and the first fresh
    one wins, so a fresher count from a later source never displaces a carried one from
    an earlier source: they count differently (a vendor's quote count is weeks old), and
    switching would make a phantom flow. shares_source names the plugin that
    supplied the count, shares_source_type whether it is the issuer or a vendor.

    Splits: counts are as reported, i.e. in the share units of their own date. A count
    carried across a split going ex after its report date and on or before t is
    multiplied by those splits' ratios (rounded to whole shares), so a split never
    looks like a flow. A count reported on the ex-date itself is already post-split.

    NAV: the issuer's NAV for that very day (nav_source 'issuer'), else null (the flow
    engine then uses the close). There is no vendor NAV: Yahoo's navPrice is the
    previous session's close. Total assets are the vendor's (Yahoo's snapshot), on the
    snapshot date only, so the AUM-based flow stays independent of the issuer's count.

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

issuer_days as (

    select * from {{ ref('int_etf_issuer_days') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', counts_from) }}

),

vendor_counts as (

    select * from {{ ref('int_etf_vendor_counts') }}
    where is_usable_for_flows {{ flows_date_filter('as_of_date', counts_from) }}

),

snapshots as (

    select * from {{ ref('stg_yahoo__fund_snapshots') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', recompute_from) }}

),

trading_days as (

    -- a trading day is a date with a bar; event-only rows (no bar) still count as splits
    select
        ticker,
        as_of_date
    from prices
    where close is not null

),

counts as (

    -- source_priority: 1 the issuer, 2 Yahoo's shares history, 3 Yahoo's snapshot counts
    -- (a quoteSummary count before a v7 quote's of the same date)
    select
        ticker,
        as_of_date as shares_as_of_date,
        shares_outstanding as shares_outstanding_reported,
        shares_source,
        'issuer' as shares_source_type,
        1 as source_priority
    from issuer_days
    union all
    select
        ticker,
        shares_as_of_date,
        shares_outstanding_reported,
        'yahoo' as shares_source,
        'vendor' as shares_source_type,
        source_priority
    from (
        select
            ticker,
            as_of_date as shares_as_of_date,
            shares_outstanding as shares_outstanding_reported,
            case when vendor_dataset = 'shares_history' then 2 else 3 end as source_priority,
            row_number() over (
                partition by ticker, as_of_date, vendor_dataset = 'shares_history'
                order by case vendor_dataset when 'quote_summary' then 1 else 2 end
            ) as dataset_rank
        from vendor_counts
    ) as vendor
    where dataset_rank = 1

),
{% for priority in [1, 2, 3] %}
counts_{{ priority }} as (

    select * from counts where source_priority = {{ priority }}

),

days_with_counts_{{ priority }} as (

    {{ asof_join(
        left='trading_days',
        right='counts_' ~ priority,
        partition_by='ticker',
        left_date='as_of_date',
        right_date='shares_as_of_date',
        left_columns=['ticker', 'as_of_date'],
        right_columns=['shares_as_of_date', 'shares_outstanding_reported', 'shares_source',
                       'shares_source_type', 'source_priority'],
    ) }}

),
{% endfor %}
candidate_counts as (

    select * from days_with_counts_1
    union all
    select * from days_with_counts_2
    union all
    select * from days_with_counts_3

),

fresh_candidates as (

    select
        candidate_counts.*,
        cast({{ dbt.datediff('shares_as_of_date', 'as_of_date', 'day') }} as bigint) as shares_age_days,
        row_number() over (
            partition by ticker, as_of_date order by source_priority
        ) as candidate_rank
    from candidate_counts
    where
        shares_as_of_date is not null
        and {{ dbt.datediff('shares_as_of_date', 'as_of_date', 'day') }}
            <= {{ var('shares_max_carry_days') }}

),

fresh_counts as (

    select
        ticker,
        as_of_date,
        shares_as_of_date,
        shares_outstanding_reported,
        shares_source,
        shares_source_type,
        shares_age_days
    from fresh_candidates
    where candidate_rank = 1

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
        fresh_counts.shares_source_type,

        ----------  NAV: the issuer's, that day only
        issuer_days.nav,
        case when issuer_days.nav is not null then 'issuer' end as nav_source,

        ----------  the vendor's total assets, on its snapshot date only
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
    left join issuer_days
        on prices.ticker = issuer_days.ticker
        and prices.as_of_date = issuer_days.as_of_date
    left join snapshots
        on prices.ticker = snapshots.ticker
        and prices.as_of_date = snapshots.as_of_date
    where prices.close is not null

)

select * from final
