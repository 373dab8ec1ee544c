{#
    Incremental share-count checks (models/intermediate/quality). A daily run rebuilds
    the checks from each fund's persisted state instead of its whole history:

      * int_etf_flows_aum_based rebuilds the days from flows_recompute_from() (R);
        int_etf_shares_lag_detected and int_etf_creation_units_inferred keep each fund's
        evidence counts over the days before a settled date and add the days since
        (quality_settled_before()).
      * int_shares_outstanding_normalized rebuilds the days from R, going on from the
        cumulative split factor of each fund's last row before them; a fund whose lag or
        creation unit changed is rebuilt whole.
      * Each check family (int_shares_checks_*) and int_shares_outstanding_checked starts,
        per fund, from the first day its inputs rewrote since it last ran
        (quality_rewritten_from: every row carries the run that wrote it) and
        goes back as far as its rules reach from there: a number of reports for the
        episodes and the remainder islands (quality_report_bounds), the start of the
        open run for the stale runs. A fund nothing rewrote is left as it is.

    The result equals a full build row for row: tests/dbt/test_flow_marts.py drops the
    last days and rebuilds, with a stale run and an episode open across the boundary.
#}

{#- The literal date `days` calendar days before the ISO date `day`. -#}
{% macro quality_days_before(day, days) -%}
    {{- (modules.datetime.date.fromisoformat(day) - modules.datetime.timedelta(days=days | int)).isoformat() -}}
{%- endmacro %}


{#- The start of this dbt run as a timestamp literal: every row of an incremental check
    carries the run that wrote it (dbt_run_started_at). -#}
{% macro quality_run_started_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}


{#-
    quality_rewritten_from(relations): a select of one row per fund with rows in any of
    `relations` (refs of incremental models carrying dbt_run_started_at) written after
    the model being built last ran: rewritten_from, the first such day. Incremental
    runs only. Newer, not "this run": a model built in a later `dbt run` than its inputs
    still sees what they rewrote.
-#}
{% macro quality_rewritten_from(relations) -%}
    select ticker, min(as_of_date) as rewritten_from
    from (
        {%- for relation in relations %}
        select ticker, as_of_date from {{ relation }}
        where dbt_run_started_at > (
            select coalesce(max(dbt_run_started_at), cast('1900-01-01' as timestamp))
            from {{ this }}
        )
        {%- if not loop.last %}
        union all
        {%- endif %}
        {%- endfor %}
    ) as rewritten
    group by ticker
{%- endmacro %}


{#-
    quality_report_bounds(normalized, rewritten, write_reports, read_reports): a select of
    one row per fund in `rewritten` (ticker, rewritten_from): write_from, the date of its
    write_reports-th report before rewritten_from (its rows from there on are rebuilt),
    and read_from, that of its read_reports-th (what its rules read from); each null when
    the fund has fewer reports than that (it is then rebuilt whole). Reports are looked
    for in the year (400 calendar days) before rewritten_from.
-#}
{% macro quality_report_bounds(normalized, rewritten, write_reports, read_reports) -%}
    select
        rewritten.ticker,
        rewritten.rewritten_from,
        max(case when reports.reports_back = {{ write_reports }} then reports.as_of_date end)
            as write_from,
        max(case when reports.reports_back = {{ read_reports }} then reports.as_of_date end)
            as read_from
    from {{ rewritten }} as rewritten
    left join (
        select
            {{ normalized }}.ticker,
            {{ normalized }}.as_of_date,
            row_number() over (
                partition by {{ normalized }}.ticker order by {{ normalized }}.as_of_date desc
            ) as reports_back
        from {{ normalized }}
        inner join {{ rewritten }} as rewritten
            on {{ normalized }}.ticker = rewritten.ticker
        where
            {{ normalized }}.is_report_day
            and {{ normalized }}.shares_outstanding > 0
            and {{ normalized }}.as_of_date < rewritten.rewritten_from
            and {{ normalized }}.as_of_date >= {{ dbt.dateadd('day', -400, 'rewritten.rewritten_from') }}
    ) as reports
        on rewritten.ticker = reports.ticker
    group by rewritten.ticker, rewritten.rewritten_from
{%- endmacro %}


{#- `where`-clause fragment keeping a fund's rows from `bound_column` on (all of them
    when it is null); `relation` names the rows' table or CTE. -#}
{% macro quality_from_bound(relation, bound_column) -%}
    ({{ bound_column }} is null or {{ relation }}.as_of_date >= {{ bound_column }})
{%- endmacro %}


{#- quality_window_days(incremental, bound_column): the normalized days a family model
    reads, each with its fund's write_from: in an incremental run those from the fund's
    bound on (the `bounds` CTE), in a full build every day (write_from null). -#}
{% macro quality_window_days(incremental, bound_column) -%}
    {%- if incremental -%}
    select
        normalized.*,
        bounds.write_from
    from normalized
    inner join bounds
        on normalized.ticker = bounds.ticker
    where {{ quality_from_bound('normalized', bound_column) }}
    {%- else -%}
    select
        normalized.*,
        cast(null as date) as write_from
    from normalized
    {%- endif %}
{%- endmacro %}


{#-
    Evidence counts (int_etf_shares_lag_detected, int_etf_creation_units_inferred) are
    kept per fund as state: the counts over the days before evidence_settled_before
    (settled_<count>), which no later run can change, and the counts over all days
    (<count>). A run counts only the days from the previous settled date on and adds
    them to the settled counts; a full build counts everything and gets the same row.

    quality_settled_before(days): SQL date: the settled date, the latest day of `days`
    less var('shares_evidence_settle_days').
-#}
{% macro quality_settled_before(days) -%}
    {%- set settle_days = var('shares_evidence_settle_days') | int -%}
    {%- if settle_days < var('flows_lookback_days') | int + 14 -%}
        {{ exceptions.raise_compiler_error("var shares_evidence_settle_days must be at least flows_lookback_days + 14, got " ~ settle_days) }}
    {%- endif -%}
    (select cast({{ dbt.dateadd('day', -settle_days, 'max(as_of_date)') }} as date) from {{ days }})
{%- endmacro %}


{#- The literal date an incremental run of an evidence model reads its days from: the
    earliest settled date in it less ten days (the previous trading row); none on a full
    build. -#}
{% macro quality_evidence_read_from() %}
    {%- if not execute or this is none or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set settled = run_query('select min(evidence_settled_before) from ' ~ this).columns[0].values()[0] -%}
    {%- if settled is none -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(quality_days_before(settled | string, 10)) }}
{% endmacro %}


{#-
    quality_evidence_counts(counts, read_from): the select list of an evidence model's
    counts: for each name in `counts`, settled_<name> and <name>, from the CTE `counted`
    (per fund: recent_<name>, the count over the days from the previous settled date, and
    settling_<name>, over those before the new one) and, on incremental runs, `previous`
    (the model's rows).
-#}
{% macro quality_evidence_counts(counts, read_from) -%}
    {%- for name in counts %}
    {%- if read_from is not none %}
    coalesce(previous.settled_{{ name }}, 0) + coalesce(counted.settling_{{ name }}, 0) as settled_{{ name }},
    coalesce(previous.settled_{{ name }}, 0) + coalesce(counted.recent_{{ name }}, 0) as {{ name }}
    {%- else %}
    coalesce(counted.settling_{{ name }}, 0) as settled_{{ name }},
    coalesce(counted.recent_{{ name }}, 0) as {{ name }}
    {%- endif %}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
