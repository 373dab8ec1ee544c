{#
    universe_latest_observation(relation, columns, observed_at): one row per ticker of
    `relation` — its latest observation by `observed_at` (a timestamp expression over the
    relation's columns, added as the column observed_at) — with unchanged_since, the
    observed_at from which `columns` have read the same: the start of the last run of
    identical observations (a ticker's first observation starts a run).
#}
{% macro universe_latest_observation(relation, columns, observed_at) %}
    select *
    from (
        select
            *,
            max(case when is_change = 1 then observed_at end) over (
                partition by ticker
            ) as unchanged_since
        from (
            select
                *,
                case
                    when
                        {%- for column in columns %}
                        {{ 'or ' if not loop.first }}lag({{ column }}) over (partition by ticker order by observed_at) is distinct from {{ column }}
                        {%- endfor %}
                        then 1
                    else 0
                end as is_change,
                row_number() over (partition by ticker order by observed_at desc) as recency_rank
            from (select *, {{ observed_at }} as observed_at from {{ relation }}) as observed
        ) as changes
    ) as dated
    where recency_rank = 1
{% endmacro %}
