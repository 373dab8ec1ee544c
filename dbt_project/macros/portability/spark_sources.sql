{#
    create_raw_sources(): run at the start of every dbt invocation (on-run-start in
    dbt_project.yml). Every source declared in schema `raw` must exist before a model
    reads it:

      * DuckDB: the ingest plugins land them in the warehouse itself; nothing to do.
      * Spark: each becomes an external table over the Parquet `etfflow export raw`
        wrote, one folder per table: <ETFFLOW_RAW_PARQUET_URI>/<identifier> (default
        <ETFFLOW_SPARK_DIR>/raw). Landing stays in DuckDB; the Parquet is the
        interchange, as a lakehouse would take it. The tables are re-declared on every
        run so a new export (new files, new columns) is what the models read.
#}
{% macro create_raw_sources() %}
    {{ return(adapter.dispatch('create_raw_sources', 'etfflow')()) }}
{% endmacro %}


{% macro default__create_raw_sources() %}
{% endmacro %}


{% macro spark__create_raw_sources() %}
    {%- if not execute -%}{{ return('') }}{%- endif -%}
    {%- set root = env_var('ETFFLOW_RAW_PARQUET_URI', env_var('ETFFLOW_SPARK_DIR', 'data/spark') ~ '/raw') -%}
    {%- set identifiers = [] -%}
    {%- for source in graph.sources.values() if source.schema == 'raw' -%}
        {%- do identifiers.append(source.identifier) -%}
    {%- endfor -%}
    {%- do run_query('create schema if not exists raw') -%}
    {%- for identifier in identifiers | unique | sort -%}
        {%- do run_query('drop table if exists raw.' ~ identifier) -%}
        {%- do run_query("create table raw." ~ identifier ~ " using parquet location '" ~ root ~ "/" ~ identifier ~ "'") -%}
    {%- endfor -%}
{% endmacro %}
