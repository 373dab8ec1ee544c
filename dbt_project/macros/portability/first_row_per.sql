{#
    first_row_per(relation, columns, partition_by, order_by, where=none): a select of
    `columns` from `relation` (a relation or CTE name), keeping the first row of each
    `partition_by` group in `order_by` order, after the optional `where` filter.

    DuckDB filters the window with QUALIFY; other engines (Spark) have no QUALIFY and
    filter a row_number() computed in a subquery, then drop it.
#}
{% macro first_row_per(relation, columns, partition_by, order_by, where=none) %}
    {{ return(adapter.dispatch('first_row_per', 'etfflow')(relation, columns, partition_by, order_by, where)) }}
{% endmacro %}


{% macro duckdb__first_row_per(relation, columns, partition_by, order_by, where) %}
    select {{ columns | join(', ') }}
    from {{ relation }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
    qualify row_number() over (partition by {{ partition_by }} order by {{ order_by }}) = 1
{% endmacro %}


{% macro default__first_row_per(relation, columns, partition_by, order_by, where) %}
    select {{ columns | join(', ') }}
    from (
        select
            *,
            row_number() over (partition by {{ partition_by }} order by {{ order_by }})
                as first_row_per_rank
        from {{ relation }}
        {%- if where %}
        where {{ where }}
        {%- endif %}
    ) as ranked
    where first_row_per_rank = 1
{% endmacro %}
