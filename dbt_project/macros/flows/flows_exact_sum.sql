{#
    flows_exact_sum(expr, decimals=4): the sum of `expr` computed exactly — each value
    rounded to `decimals` places and summed as 38-digit integers (room for phantom
    trillions, e.g. a x1000 share count) — so a parallel aggregation adds up to the same
    number on every run (floating-point sums depend on the order threads combine them).
    Returns a double; null when every value is null.
#}
{% macro flows_exact_sum(expr, decimals=4) -%}
    {%- set scale = 10 ** (decimals | int) -%}
    cast(sum(cast(round(({{ expr }}) * {{ scale }}, 0) as decimal(38, 0))) as double) / {{ scale }}
{%- endmacro %}
