{#
    Incremental windows shared by the flow models (models/intermediate/flows,
    models/marts/flows). A daily run rebuilds every row dated on or after

        recompute_from = (latest as_of_date already in the model) - var('flows_lookback_days')

    and reads enough earlier input for its trailing windows to be exact on those rows:
    `history_rows` trading days, converted to calendar days generously (7/5 plus ten
    holidays) — or exactly `calendar_days` when given — and with from_year_start never later than 1 January of recompute_from's
    year (year-to-date figures start there). Both dates are rendered as literals at compile time so the
    filter reaches the scan. On a full build (or an empty model) both are none and the
    models read everything.
#}

{% macro flows_recompute_from(days_back=none, column='as_of_date') %}
    {#- unit tests compile models without `this`: they run the full-build path -#}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set lookback = var('flows_lookback_days') if days_back is none else days_back -%}
    {%- set latest = run_query('select max(' ~ column ~ ') from ' ~ this).columns[0].values()[0] -%}
    {%- if latest is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- if latest is string -%}
        {%- set latest = modules.datetime.date.fromisoformat(latest[:10]) -%}
    {%- endif -%}
    {{ return((latest - modules.datetime.timedelta(days=lookback | int)).isoformat()) }}
{% endmacro %}


{% macro flows_input_from(recompute_from, history_rows=0, from_year_start=false, calendar_days=none) %}
    {%- if recompute_from is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set start = modules.datetime.date.fromisoformat(recompute_from) -%}
    {%- if calendar_days is none -%}
        {%- set calendar_days = ((history_rows | int) * 7 // 5) + 10 -%}
    {%- endif -%}
    {%- set with_history = start - modules.datetime.timedelta(days=calendar_days) -%}
    {%- set year_start = modules.datetime.date(start.year, 1, 1) -%}
    {{ return(([with_history, year_start] | min if from_year_start else with_history) | string) }}
{% endmacro %}


{#- `where`-clause fragment: `and <column> >= date 'YYYY-MM-DD'` or nothing on full builds. -#}
{% macro flows_date_filter(column, from_date) %}
    {%- if from_date is not none -%}
        and {{ column }} >= cast('{{ from_date }}' as date)
    {%- endif -%}
{% endmacro %}
