{#
    One row per ticker: the fund's creation-unit size when it is known, which the
    not_unit_multiple check needs. A size in var('creation_unit_sizes') (e.g. from a
    fund's prospectus or N-CEN) is taken as given. Otherwise it is inferred from the
    share history: the largest size in var('creation_unit_size_candidates') that divides
    at least var('creation_unit_min_multiple_pct') % of the fund's non-zero day-to-day
    count changes (split days left out), given at least var('creation_unit_min_changes')
    of them. Funds whose counts are rounded by the vendor, or that create in odd sizes,
    get no size and are not checked.
#}

{{ config(materialized='table') }}

{%- set candidates = var('creation_unit_size_candidates') | map('int') | sort(reverse=true) | list %}
{%- set configured = var('creation_unit_sizes', {}) or {} %}
{%- set min_changes = var('creation_unit_min_changes') | int %}
{%- set min_share = var('creation_unit_min_multiple_pct') | float / 100.0 %}

with

days as (

    -- only the columns used: this CTE is read twice, so it is materialized
    select ticker, as_of_date, split_ratio, shares_outstanding
    from {{ ref('int_etf_days_aligned') }}

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

tickers as (

    select distinct ticker from days

),

stats as (

    select
        ticker,
        count(*) as nonzero_changes
        {%- for size in candidates %},
        sum(
            case when mod(cast(round(shares_change, 0) as bigint), {{ size }}) = 0 then 1 else 0 end
        ) as multiples_of_{{ size }}
        {%- endfor %}
    from changes
    where shares_change <> 0 and split_factor = 1.0
    group by ticker

),

inferred as (

    select
        ticker,
        nonzero_changes,
        case
            when nonzero_changes < {{ min_changes }} then null
            {%- for size in candidates %}
            when multiples_of_{{ size }} >= {{ min_share }} * nonzero_changes then {{ size }}
            {%- endfor %}
        end as inferred_size,
        case
            when nonzero_changes < {{ min_changes }} then null
            {%- for size in candidates %}
            when multiples_of_{{ size }} >= {{ min_share }} * nonzero_changes
                then 100.0 * multiples_of_{{ size }} / nonzero_changes
            {%- endfor %}
        end as multiple_pct
    from stats

),

final as (

    select
        ----------  ids
        tickers.ticker,

        ----------  the size and where it comes from
        cast(
            {%- if configured | length > 0 %}
            case upper(tickers.ticker)
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
            when upper(tickers.ticker) in ({% for ticker in configured | sort %}'{{ ticker | upper }}'{{ ', ' if not loop.last }}{% endfor %})
                then 'configured'
            {%- endif %}
            when inferred.inferred_size is not null then 'inferred'
            else 'unknown'
        end as creation_unit_size_source,

        ----------  evidence
        cast(coalesce(inferred.nonzero_changes, 0) as integer) as nonzero_changes,
        inferred.multiple_pct

    from tickers
    left join inferred
        on tickers.ticker = inferred.ticker

)

select * from final
