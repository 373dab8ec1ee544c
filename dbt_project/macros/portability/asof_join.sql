{#
    asof_join: for every row of `left`, the row of `right` with the same `partition_by`
    value and the latest `right_date` on or before the row's `left_date` (a backward,
    inclusive as-of match); right columns are null when there is none.

    Returns a complete select statement, to be placed inside a CTE:

        aligned as (
            {{ asof_join('trading_days', 'share_counts', 'ticker', 'as_of_date',
                         'reported_date', ['ticker', 'as_of_date'], ['reported_date', 'shares']) }}
        ),

    `left` and `right` are relation or CTE names. `right` must be unique on
    (partition_by, right_date); `left` must be unique on (partition_by, left_date) for
    the portable implementation. Output column names must not collide.

    DuckDB has a native ASOF JOIN; every other adapter gets a portable implementation
    (one union-ed timeline and a running max() window), which dbt_project/tests/
    assert_asof_join_implementations_agree.sql checks against the DuckDB one.
#}
{% macro asof_join(left, right, partition_by, left_date, right_date, left_columns, right_columns) %}
    {{ return(adapter.dispatch('asof_join', 'etfflow')(
        left, right, partition_by, left_date, right_date, left_columns, right_columns
    )) }}
{% endmacro %}


{% macro duckdb__asof_join(left, right, partition_by, left_date, right_date, left_columns, right_columns) %}
{{ asof_join_select(left, left_columns, right_columns) }}
asof left join {{ right }} as r
    on l.{{ partition_by }} = r.{{ partition_by }}
    and l.{{ left_date }} >= r.{{ right_date }}
{% endmacro %}


{% macro default__asof_join(left, right, partition_by, left_date, right_date, left_columns, right_columns) %}
with

asof_timeline as (
    select
        {{ partition_by }} as asof_key,
        {{ left_date }} as asof_at,
        1 as asof_is_left
    from {{ left }}
    union all
    select
        {{ partition_by }} as asof_key,
        {{ right_date }} as asof_at,
        0 as asof_is_left
    from {{ right }}
),

asof_matched as (
    -- right rows sort before left rows on the same date, so a match is inclusive;
    -- dates only grow along the window, so the running max is the latest right date
    select
        asof_key,
        asof_at,
        asof_is_left,
        max(case when asof_is_left = 0 then asof_at end) over (
            partition by asof_key
            order by asof_at, asof_is_left
            rows between unbounded preceding and current row
        ) as asof_right_at
    from asof_timeline
)

{{ asof_join_select(left, left_columns, right_columns) }}
left join asof_matched as m
    on m.asof_is_left = 1
    and m.asof_key = l.{{ partition_by }}
    and m.asof_at = l.{{ left_date }}
left join {{ right }} as r
    on r.{{ partition_by }} = l.{{ partition_by }}
    and r.{{ right_date }} = m.asof_right_at
{% endmacro %}


{#- both implementations' output: the left columns (alias l) and the right ones (alias r) -#}
{% macro asof_join_select(left, left_columns, right_columns) %}
select
    {%- for column in left_columns %}
    l.{{ column }},
    {%- endfor %}
    {%- for column in right_columns %}
    r.{{ column }}{{ ',' if not loop.last }}
    {%- endfor %}
from {{ left }} as l
{%- endmacro %}
