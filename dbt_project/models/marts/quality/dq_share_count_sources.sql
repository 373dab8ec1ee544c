{#
    One row per ticker per trading day on which the fund's issuer published a share count
    (within var('shares_max_carry_days')): the issuer's count beside the vendor's, as
    each stood that day, so a vendor's stale counts show against the fund's own.

    Vendor counts, each the latest on or before the day (as-of, like the flow engine):
    history (Yahoo's shares history) and quote (the v7 quote's count, else the
    quoteSummary count). *_vs_issuer_pct = 100 x (vendor / issuer - 1).
    quote_stale_vendor_count carries int_etf_vendor_counts' flag for that quote (its
    count against its own net assets). *_unchanged_while_issuer_moved_days: in the
    vendor count's current unchanged stretch, the trading days on which the issuer's
    count moved (a vendor that sits still while the fund creates and redeems).

    Counts are compared in the units of their own dates: across a split a carried
    vendor count differs until the vendor updates it, which is what it shows.
#}

{{ config(materialized='table') }}

{%- set vendors = ['history', 'quote'] %}

with

days as (

    select * from {{ ref('int_etf_days_aligned') }}

),

issuer_days as (

    select * from {{ ref('int_etf_issuer_days') }}

),

vendor_counts as (

    select * from {{ ref('int_etf_vendor_counts') }}

),

issuer_funds as (

    -- only the funds with an issuer count have rows here: the as-of joins below then
    -- sort those funds' days and vendor counts only, not the universe's (issue 14)
    select distinct ticker from issuer_days

),

trading_days as (

    select
        ticker,
        as_of_date,
        shares_source,
        shares_source_type
    from days
    where ticker in (select ticker from issuer_funds)

),

issuer_counts as (

    select
        ticker,
        as_of_date as issuer_as_of_date,
        shares_source as issuer_source,
        shares_outstanding as issuer_shares_outstanding
    from issuer_days

),

history_counts as (

    select
        ticker,
        as_of_date as history_as_of_date,
        shares_outstanding as history_shares_outstanding
    from vendor_counts
    where
        vendor_dataset = 'shares_history'
        and ticker in (select ticker from issuer_funds)

),

quote_counts as (

    -- the v7 quote's count, else the quoteSummary's, on one date
    select
        ticker,
        as_of_date as quote_as_of_date,
        shares_outstanding as quote_shares_outstanding,
        stale_vendor_count as quote_stale_vendor_count
    from (
        select
            vendor_counts.*,
            row_number() over (
                partition by ticker, as_of_date
                order by case vendor_dataset when 'quote' then 1 else 2 end
            ) as quote_rank
        from vendor_counts
        where
            vendor_dataset in ('quote', 'quote_summary')
            and ticker in (select ticker from issuer_funds)
    ) as quotes
    where quote_rank = 1

),

with_issuer as (

    {{ asof_join(
        left='trading_days',
        right='issuer_counts',
        partition_by='ticker',
        left_date='as_of_date',
        right_date='issuer_as_of_date',
        left_columns=['ticker', 'as_of_date', 'shares_source', 'shares_source_type'],
        right_columns=['issuer_as_of_date', 'issuer_source', 'issuer_shares_outstanding'],
    ) }}

),

issuer_fresh as (

    select * from with_issuer
    where
        issuer_as_of_date is not null
        and {{ dbt.datediff('issuer_as_of_date', 'as_of_date', 'day') }}
            <= {{ var('shares_max_carry_days') }}

),

with_history as (

    {{ asof_join(
        left='issuer_fresh',
        right='history_counts',
        partition_by='ticker',
        left_date='as_of_date',
        right_date='history_as_of_date',
        left_columns=['ticker', 'as_of_date', 'shares_source', 'shares_source_type',
                      'issuer_as_of_date', 'issuer_source', 'issuer_shares_outstanding'],
        right_columns=['history_as_of_date', 'history_shares_outstanding'],
    ) }}

),

with_quote as (

    {{ asof_join(
        left='with_history',
        right='quote_counts',
        partition_by='ticker',
        left_date='as_of_date',
        right_date='quote_as_of_date',
        left_columns=['ticker', 'as_of_date', 'shares_source', 'shares_source_type',
                      'issuer_as_of_date', 'issuer_source', 'issuer_shares_outstanding',
                      'history_as_of_date', 'history_shares_outstanding'],
        right_columns=['quote_as_of_date', 'quote_shares_outstanding', 'quote_stale_vendor_count'],
    ) }}

),

moves as (

    select
        with_quote.*,
        coalesce(issuer_shares_outstanding <> lag(issuer_shares_outstanding) over (
            partition by ticker order by as_of_date
        ), false) as issuer_moved,
        {%- for vendor in vendors %}
        coalesce({{ vendor }}_shares_outstanding is distinct from lag({{ vendor }}_shares_outstanding) over (
            partition by ticker order by as_of_date
        ), true) as {{ vendor }}_changed{{ ',' if not loop.last }}
        {%- endfor %}
    from with_quote

),

stretches as (

    -- a vendor count's unchanged stretch: the rows since it last changed
    select
        moves.*,
        {%- for vendor in vendors %}
        sum(case when {{ vendor }}_changed then 1 else 0 end) over (
            partition by ticker order by as_of_date rows between unbounded preceding and current row
        ) as {{ vendor }}_stretch{{ ',' if not loop.last }}
        {%- endfor %}
    from moves

),

final as (

    select
        ----------  ids
        ticker,
        as_of_date,

        ----------  what the flow engine used
        shares_source,
        shares_source_type,

        ----------  the issuer's count
        issuer_source,
        issuer_as_of_date,
        issuer_shares_outstanding,
        issuer_moved,
        {%- for vendor in vendors %}

        ----------  the vendor's {{ vendor }} count
        {{ vendor }}_as_of_date,
        {{ vendor }}_shares_outstanding,
        100.0 * ({{ vendor }}_shares_outstanding / issuer_shares_outstanding - 1.0)
            as {{ vendor }}_vs_issuer_pct,
        {%- if vendor == 'quote' %}
        quote_stale_vendor_count,
        {%- endif %}
        cast(case when {{ vendor }}_shares_outstanding is not null then sum(
            case when issuer_moved and not {{ vendor }}_changed then 1 else 0 end
        ) over (
            partition by ticker, {{ vendor }}_stretch order by as_of_date
            rows between unbounded preceding and current row
        ) end as integer) as {{ vendor }}_unchanged_while_issuer_moved_days{{ ',' if not loop.last }}
        {%- endfor %}

    from stretches

)

select * from final
