{#
    Fails for every row where the SQL boolean `expression` is false. Rows where it
    evaluates to null pass, so write identities null-safe on purpose
    (e.g. `aum_usd is null or abs(aum_usd - shares_outstanding * nav) < 0.01`).
    Attached to a column, the column name is prefixed to the expression
    (`expression: ">= 0"`).
#}
{% test expression_is_true(model, expression, column_name=none) %}

select *
from {{ model }}
where not ({{ column_name ~ ' ' if column_name is not none }}{{ expression }})

{% endtest %}
