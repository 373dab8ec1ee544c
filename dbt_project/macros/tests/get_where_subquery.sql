{#
    Data tests on the daily path test the rows the daily run rebuilt. With the
    environment variable ETFFLOW_DBT_TEST_SCOPE=recent (set by `etfflow daily`), a generic
    test of a relation that has an as_of_date column sees only its rows dated from the
    warehouse's latest trading day (int_etf_days_aligned) minus var('flows_lookback_days'):
    the incremental models rebuilt nothing older. Any other scope, and relations without
    as_of_date, are tested in full; a test's own `where` config still applies.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if execute and env_var('ETFFLOW_DBT_TEST_SCOPE', 'all') == 'recent' -%}
        {%- set columns = adapter.get_columns_in_relation(relation) | map(attribute='name') | map('lower') | list -%}
        {%- if 'as_of_date' in columns -%}
            {%- set recent = "as_of_date >= cast('" ~ recent_test_from() ~ "' as date)" -%}
            {%- set where = recent ~ (' and (' ~ where ~ ')' if where else '') -%}
        {%- endif -%}
    {%- endif -%}
    {%- if where -%}
        {{ return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}


{#- The first day a `recent` test scope covers (see get_where_subquery); every day while
    int_etf_days_aligned is not built yet (a first build tests staging before it). -#}
{% macro recent_test_from() %}
    {#- not ref(): a test depends only on what it tests -#}
    {%- set spine = adapter.get_relation(database=target.database, schema=target.schema, identifier='int_etf_days_aligned') -%}
    {%- set latest = run_query('select max(as_of_date) from ' ~ spine).columns[0].values()[0] if spine is not none else none -%}
    {%- if latest is none -%}
        {{ return('0001-01-01') }}
    {%- endif -%}
    {%- if latest is string -%}
        {%- set latest = modules.datetime.date.fromisoformat(latest[:10]) -%}
    {%- endif -%}
    {{ return((latest - modules.datetime.timedelta(days=var('flows_lookback_days') | int)).isoformat()) }}
{% endmacro %}
