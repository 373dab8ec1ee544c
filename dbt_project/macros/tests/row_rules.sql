{#
    Several per-row rules of one model checked in one scan (instead of one test, and one
    scan, per rule). `rules` maps each rule's name to a SQL boolean expression over the
    model's columns; a row breaks a rule where its expression is false. Null passes, as
    in expression_is_true: write rules null-safe on purpose, and state not-null rules
    as `column is not null`. Returns one row per broken rule, naming it, with the number
    of rows that break it: `dbt show --select <test name>` lists them.
#}
{% test row_rules(model, rules) %}

with

counted as (

    select
        {%- for name, expression in rules.items() %}
        sum(case when not ({{ expression }}) then 1 else 0 end) as {{ adapter.quote(name) }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ model }}

),

broken as (

    {%- for name in rules %}
    select '{{ name }}' as rule_name, {{ adapter.quote(name) }} as failing_rows
    from counted
    where {{ adapter.quote(name) }} > 0
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select * from broken

{% endtest %}
