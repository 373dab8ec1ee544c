{#
    Fails for every non-null value of `column_name` outside [min_value, max_value]
    (or (min_value, max_value) with inclusive=false). Either bound may be omitted.
    Nulls pass: test them with not_null where they are not allowed.
#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}

{%- if min_value is none and max_value is none -%}
    {{ exceptions.raise_compiler_error("accepted_range on " ~ model ~ "." ~ column_name ~ " needs min_value, max_value or both") }}
{%- endif -%}

{%- set op = '=' if inclusive else '' %}

with

checked as (
    select {{ column_name }} as value
    from {{ model }}
    where {{ column_name }} is not null
),

out_of_range as (
    select value
    from checked
    where
        1 = 0
        {%- if min_value is not none %}
        or not (value >{{ op }} {{ min_value }})
        {%- endif %}
        {%- if max_value is not none %}
        or not (value <{{ op }} {{ max_value }})
        {%- endif %}
)

select * from out_of_range

{% endtest %}
