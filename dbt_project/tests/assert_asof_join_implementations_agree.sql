{#
    The adapter's asof_join (DuckDB: native ASOF JOIN) and the portable default
    implementation must both return the hand-computed rows below. Fails with every row
    one of them gets wrong. Self-contained: needs no warehouse data.
#}

with

observations as (

    select * from (
        values
            ('A', cast('2024-01-02' as date), 10.0),
            ('A', cast('2024-01-04' as date), 40.0),
            ('A', cast('2024-01-07' as date), null),
            ('B', cast('2024-01-03' as date), 7.0)
    ) as observations (key, observed_date, observed_value)

),

days as (

    select * from (
        values
            ('A', cast('2024-01-01' as date)),
            ('A', cast('2024-01-02' as date)),
            ('A', cast('2024-01-03' as date)),
            ('A', cast('2024-01-05' as date)),
            ('A', cast('2024-01-08' as date)),
            ('B', cast('2024-01-02' as date)),
            ('B', cast('2024-01-09' as date)),
            ('C', cast('2024-01-09' as date))
    ) as days (key, day)

),

expected as (

    select * from (
        values
            ('A', cast('2024-01-01' as date), cast(null as date), cast(null as double)),
            ('A', cast('2024-01-02' as date), cast('2024-01-02' as date), 10.0),
            ('A', cast('2024-01-03' as date), cast('2024-01-02' as date), 10.0),
            ('A', cast('2024-01-05' as date), cast('2024-01-04' as date), 40.0),
            ('A', cast('2024-01-08' as date), cast('2024-01-07' as date), null),
            ('B', cast('2024-01-02' as date), cast(null as date), null),
            ('B', cast('2024-01-09' as date), cast('2024-01-03' as date), 7.0),
            ('C', cast('2024-01-09' as date), cast(null as date), null)
    ) as expected (key, day, observed_date, observed_value)

),

{%- set args = dict(
    left='days', right='observations', partition_by='key', left_date='day',
    right_date='observed_date', left_columns=['key', 'day'],
    right_columns=['observed_date', 'observed_value'],
) %}

adapter_result as (

    {{ asof_join(**args) }}

),

default_result as (

    {{ etfflow.default__asof_join(**args) }}

),

adapter_wrong as (

    select 'adapter' as implementation, * from (
        (select * from adapter_result except select * from expected)
        union all
        (select * from expected except select * from adapter_result)
    ) as diff

),

default_wrong as (

    select 'default' as implementation, * from (
        (select * from default_result except select * from expected)
        union all
        (select * from expected except select * from default_result)
    ) as diff

)

select * from adapter_wrong
union all
select * from default_wrong
