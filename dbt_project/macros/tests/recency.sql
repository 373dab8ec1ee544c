{#
    Fails when the most recent `field` in the model is older than `interval` `datepart`s
    before now, or when the model has no rows at all. Meant for scheduled deployments
    (the sample archive and backfills are historical), so models enable it with
    `var('enforce_recency')`.
#}
{% test recency(model, field, datepart, interval) %}

with

latest as (
    select max({{ field }}) as most_recent
    from {{ model }}
)

select
    most_recent,
    {{ dbt.dateadd(datepart, -1 * interval, dbt.current_timestamp()) }} as threshold
from latest
where
    most_recent is null
    or most_recent < {{ dbt.dateadd(datepart, -1 * interval, dbt.current_timestamp()) }}

{% endtest %}
