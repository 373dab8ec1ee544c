{#
    Snapshots on Spark: dbt-spark merges a snapshot's new versions into Delta, Iceberg or
    Hudi tables only, and refuses plain Parquet (the local session, which has no Delta
    jars offline). On Parquet every Spark run is a full build (macros/
    incremental_strategy.sql), so the snapshot is built from scratch too: the table of
    first versions dbt writes on a snapshot's first run (valid_from = the data's own
    attributes_observed_at, valid_to null), which is what a first DuckDB build holds.
    With a table format that can merge, this is dbt-spark's own snapshot.
#}
{% materialization snapshot, adapter='spark' %}
    {%- if (config.get('file_format') or 'parquet') in ['delta', 'iceberg', 'hudi'] -%}
        {{ return(dbt.materialization_snapshot_spark()) }}
    {%- endif -%}
    {%- set target_relation = api.Relation.create(
        schema=model.schema, identifier=model.alias, type='table') -%}
    {%- set existing_relation = load_cached_relation(target_relation) -%}
    {{ run_hooks(pre_hooks) }}
    {%- if existing_relation is not none -%}
        {%- do adapter.drop_relation(existing_relation) -%}
    {%- endif -%}
    {%- set strategy = strategy_dispatch(config.get('strategy'))(
        model, 'snapshotted_data', 'source_data', model['config'], false) -%}
    {%- call statement('main') -%}
        {{ create_table_as(false, target_relation, build_snapshot_table(strategy, model['compiled_code'])) }}
    {%- endcall -%}
    {{ run_hooks(post_hooks) }}
    {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
