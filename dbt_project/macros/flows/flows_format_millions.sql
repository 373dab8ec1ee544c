{#
    flows_format_millions(expr): a USD amount as text in millions with one decimal
    ('12.3'), for human-readable reasons. DuckDB and Spark format with printf; other adapters get
    a portable cast of the rounded value.
#}
{% macro flows_format_millions(expr) %}
    {{ return(adapter.dispatch('flows_format_millions', 'etfflow')(expr)) }}
{% endmacro %}

{#- round() first: a tie (307.25) rounds away from zero on both engines, where printf alone
    rounds it to even in DuckDB (C) and up in Spark (Java) -#}
{% macro duckdb__flows_format_millions(expr) -%}
    printf('%.1f', round(({{ expr }}) / 1000000.0, 1))
{%- endmacro %}

{#- Spark's printf takes the same format (Java's formatter) -#}
{% macro spark__flows_format_millions(expr) -%}
    {{- duckdb__flows_format_millions(expr) -}}
{%- endmacro %}

{% macro default__flows_format_millions(expr) -%}
    cast(round(({{ expr }}) / 1000000.0, 1) as {{ dbt.type_string() }})
{%- endmacro %}
