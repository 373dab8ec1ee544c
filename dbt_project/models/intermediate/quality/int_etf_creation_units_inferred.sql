{#
    One row per ticker: the fund's creation-unit size when it is known, which the
    not_unit_multiple check needs. A size in var('creation_unit_sizes') (e.g. from a
    fund's prospectus or N-CEN) is taken as given. Otherwise it is inferred from the
    share history: the largest size in var('creation_unit_size_candidates') that divides
    at least var('creation_unit_min_multiple_pct') % of the fund's non-zero day-to-day
    count changes (split days left out), given at least var('creation_unit_min_changes')
    of them. Funds whose counts are rounded by the vendor, or that create in odd sizes,
    get no size and are not checked.

    Incremental (macros/quality/quality_incremental.sql): each fund's counts over the days
    before evidence_settled_before (the latest day less
    var('shares_evidence_settle_days')) are its state; a run counts the changes from the
    previous settled date on.
#}

{{ config(materialized='incremental', unique_key='ticker') }}

{%- set candidates = var('creation_unit_size_candidates') | map('int') | sort(reverse=true) | list %}
{%- set configured = var('creation_unit_sizes', {}) or {} %}
{%- set min_changes = var('creation_unit_min_changes') | int %}
{%- set min_share = var('creation_unit_min_multiple_pct') | float / 100.0 %}
{%- set counts = ['nonzero_changes'] %}
{%- for size in candidates %}{% do counts.append('multiples_of_' ~ size) %}{% endfor %}
{%- set read_from = quality_evidence_read_from() %}

with

days as (

    -- only the columns used: this CTE is read twice, so it is materialized
    select ticker, as_of_date, split_ratio, shares_outstanding
    from {{ ref('int_etf_days_aligned') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', read_from) }}

),

settled as (

    select {{ quality_settled_before(ref('int_etf_days_aligned')) }} as settled_before

),

{% if read_from is not none -%}
previous as (

    -- each fund's state: its settled counts and the date they run to
    select * from {{ this }}

),
{%- endif %}

tickers as (

    select distinct ticker from days
    {%- if read_from is not none %}
    union
    select ticker from previous
    {%- endif %}

),

changes as (

    select
        ticker,
        as_of_date,
        coalesce(split_ratio, 1.0) as split_factor,
        shares_outstanding
            - lag(shares_outstanding) over (partition by ticker order by as_of_date)
                * coalesce(split_ratio, 1.0) as shares_change
    from days

),

counted as (

    -- per fund: the changes counted in this run (recent_), and those of them now settled
    select
        changes.ticker,
        {%- for size in [none] + candidates %}
        {%- set name = 'nonzero_changes' if size is none else 'multiples_of_' ~ size %}
        {%- set counted = '1' if size is none else 'case when mod(cast(round(shares_change, 0) as bigint), ' ~ size ~ ') = 0 then 1 else 0 end' %}
        sum({{ counted }}) as recent_{{ name }},
        sum(case when changes.as_of_date < settled.settled_before then {{ counted }} else 0 end)
            as settling_{{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from changes
    cross join settled
    {%- if read_from is not none %}
    left join previous
        on changes.ticker = previous.ticker
    {%- endif %}
    where
        changes.shares_change <> 0
        and changes.split_factor = 1.0
        {%- if read_from is not none %}
        -- days before the fund's settled date are in its settled counts already
        and {{ quality_from_bound('changes', 'previous.evidence_settled_before') }}
        {%- endif %}
    group by changes.ticker

),

stats as (

    select
        tickers.ticker,
        settled.settled_before as evidence_settled_before,
        {{ quality_evidence_counts(counts, read_from) }}
    from tickers
    cross join settled
    left join counted
        on tickers.ticker = counted.ticker
    {%- if read_from is not none %}
    left join previous
        on tickers.ticker = previous.ticker
    {%- endif %}

),

inferred as (

    select
        ticker,
        nonzero_changes,
        case
            when nonzero_changes = 0 or nonzero_changes < {{ min_changes }} then null
            {%- for size in candidates %}
            when multiples_of_{{ size }} >= {{ min_share }} * nonzero_changes then {{ size }}
            {%- endfor %}
        end as inferred_size,
        case
            when nonzero_changes = 0 or nonzero_changes < {{ min_changes }} then null
            {%- for size in candidates %}
            when multiples_of_{{ size }} >= {{ min_share }} * nonzero_changes
                then 100.0 * cast(multiples_of_{{ size }} as double) / nonzero_changes
            {%- endfor %}
        end as multiple_pct
    from stats

),

final as (

    select
        ----------  ids
        stats.ticker,

        ----------  the size and where it comes from
        cast(
            {%- if configured | length > 0 %}
            case upper(stats.ticker)
                {%- for ticker, size in configured.items() | sort %}
                when '{{ ticker | upper }}' then {{ size | int }}
                {%- endfor %}
                else inferred.inferred_size
            end
            {%- else %}
            inferred.inferred_size
            {%- endif %}
            as bigint
        ) as creation_unit_size,
        case
            {%- if configured | length > 0 %}
            when upper(stats.ticker) in ({% for ticker in configured | sort %}'{{ ticker | upper }}'{{ ', ' if not loop.last }}{% endfor %})
                then 'configured'
            {%- endif %}
            when inferred.inferred_size is not null then 'inferred'
            else 'unknown'
        end as creation_unit_size_source,

        ----------  evidence (the support of the size)
        cast(stats.nonzero_changes as integer) as nonzero_changes,
        inferred.multiple_pct,

        ----------  state: the counts over the days before evidence_settled_before
        stats.evidence_settled_before
        {%- for name in counts %},
        cast(stats.settled_{{ name }} as integer) as settled_{{ name }}
        {%- endfor %}

    from stats
    inner join inferred
        on stats.ticker = inferred.ticker

)

select * from final
