{#
    Fails for every combination of `combination_of_columns` that occurs more than once
    in the model: a composite primary-key test. Rows where a key column is null are
    grouped like any other value (pair it with not_null tests on the key columns).
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set key_columns = combination_of_columns | join(', ') %}

select
    {{ key_columns }},
    count(*) as n_records
from {{ model }}
group by {{ key_columns }}
having count(*) > 1

{% endtest %}
