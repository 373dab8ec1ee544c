{#
    Incremental models (their strategy per adapter is set in dbt_project.yml) rewrite
    rows by unique_key, and not only whole days: the share-count checks
    (models/intermediate/quality) rewrite each fund from its own first changed day, and
    the evidence models keep one row per fund. So:

      * DuckDB: delete+insert on unique_key.
      * Spark with Delta, Iceberg or Hudi tables (ETFFLOW_SPARK_FILE_FORMAT=delta on a
        cluster or Databricks): merge on unique_key, the same rows as delete+insert.
        insert_overwrite of date partitions is not used: a run that rewrites some funds
        on a day would drop the other funds' rows of that day.
      * Spark on plain Parquet tables (the local session: no Delta jars offline) has no
        row-level delete or merge, so is_incremental() is false there: every run
        compiles the full build and insert_overwrite replaces the whole table.

    This override of dbt's is_incremental() applies that last rule; everywhere else it is
    dbt's own.
#}
{% macro is_incremental() %}
    {%- if target.type == 'spark' and config.get('file_format', 'parquet') not in ['delta', 'iceberg', 'hudi'] -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(dbt.is_incremental()) }}
{% endmacro %}
