{#
    dbt.listagg on Spark, with its order_by_clause honoured (dbt-spark's own ignores it
    with a warning, so the text would come out in whatever order Spark collected it):
    the values are collected with their sort keys, sorted, then joined. Like DuckDB's
    string_agg, null values are skipped and a group without any value gives null (not the
    empty string array_join would give). The clause is `order by <expr>[, <expr> ...]`,
    ascending. Found first through the `dispatch` search order in dbt_project.yml.
#}
{% macro spark__listagg(measure, delimiter_text, order_by_clause, limit_num) -%}
    {%- set keys = modules.re.sub('(?i)^\\s*order\\s+by\\s+', '', order_by_clause or '').split(',') | map('trim') | select | list -%}
    {%- for key in keys if modules.re.search('(?i)\\s(asc|desc)$', key) -%}
        {{ exceptions.raise_compiler_error("spark__listagg sorts ascending only: " ~ order_by_clause) }}
    {%- endfor -%}
    {%- if keys -%}
        {%- set collected -%}
        transform(
            array_sort(collect_list(named_struct(
                {%- for key in keys %}'key_{{ loop.index }}', {{ key }}, {% endfor -%}
                'value', {{ measure }}))),
            entry -> entry.value)
        {%- endset -%}
    {%- else -%}
        {%- set collected = 'collect_list(' ~ measure ~ ')' -%}
    {%- endif -%}
    case when count({{ measure }}) > 0 then
        array_join({{ 'slice(' ~ collected ~ ', 1, ' ~ limit_num ~ ')' if limit_num else collected }}, {{ delimiter_text }})
    end
{%- endmacro %}
