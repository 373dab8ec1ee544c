{#
    Data tests on the daily path test the rows the daily run rebuilt. With the
    environment variable ETFFLOW_DBT_TEST_SCOPE=recent (set by `etfflow daily`), a generic
    test of a model or source whose YAML documents an as_of_date column sees only its
    rows dated from the warehouse's latest trading day (int_etf_days_aligned) minus
    var('flows_lookback_days'): the flow models rebuilt nothing older (a model whose rows
    are periods names the date column to filter instead, in its YAML:
    `meta: {recent_test_date_column: period_end_date}`). A model that also
    documents dbt_run_started_at (the share-count checks, which rewrite each fund from its
    own state) is tested from the first day its latest run wrote, if that is older. Any other
    scope, other relations, and a warehouse where int_etf_days_aligned is not built yet
    (a first build tests staging before it) are tested in full; a test's own `where`
    config still applies. The columns come from the project graph, the spine's existence
    from dbt's relation cache, and the cutoff from one small query when the test runs.
#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if execute and env_var('ETFFLOW_DBT_TEST_SCOPE', 'all') == 'recent' -%}
        {%- set recent = recent_test_filter(relation) -%}
        {%- if recent -%}
            {%- set where = recent ~ (' and (' ~ where ~ ')' if where else '') -%}
        {%- endif -%}
    {%- endif -%}
    {%- if where -%}
        {{ return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}


{#- The `recent` scope's filter for `relation`, or '' when it is tested in full. The
    cutoff is looked up when the test runs and written as a literal, so the filter passes
    into views and table scans (a scalar subquery in it made DuckDB compute a view such as
    sig_flow_momentum over every day before filtering: 40 s per test at load 16). -#}
{% macro recent_test_filter(relation) %}
    {%- set nodes = graph.nodes.values() | list + graph.sources.values() | list -%}
    {%- set tested = nodes | selectattr('relation_name', 'equalto', relation | string) | first -%}
    {%- if tested is not defined -%}
        {{ return('') }}
    {%- endif -%}
    {#- a model whose rows are not days names the date its rebuilt rows are dated by -#}
    {%- set date_column = ((tested.config or {}).get('meta') or {}).get('recent_test_date_column', 'as_of_date') -%}
    {%- if date_column not in tested.columns -%}
        {{ return('') }}
    {%- endif -%}
    {#- not ref(): a test depends only on what it tests -#}
    {%- set spine = adapter.get_relation(database=target.database, schema=target.schema, identifier='int_etf_days_aligned') -%}
    {%- if spine is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set cutoff = "(select max(as_of_date) from " ~ spine ~ ") - " ~ (var('flows_lookback_days') | int) -%}
    {%- if 'dbt_run_started_at' in tested.columns -%}
        {#- the share-count checks rewrite each fund from its own state, older days too:
            their first day the latest run wrote -#}
        {%- set cutoff = "least(" ~ cutoff ~ ", (select min(as_of_date) from " ~ relation
            ~ " where dbt_run_started_at = (select max(dbt_run_started_at) from " ~ relation ~ ")))" -%}
    {%- endif -%}
    {%- set cutoff = run_query("select cast(" ~ cutoff ~ " as " ~ dbt.type_string() ~ ")").columns[0].values()[0] -%}
    {%- if cutoff is none -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(date_column ~ " >= cast('" ~ cutoff ~ "' as date)") }}
{% endmacro %}
