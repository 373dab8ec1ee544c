{#
    One row per ticker per version of its creation-unit size, in data time: which size
    applies to a fund-day (valid_from <= as_of_date < valid_to; null bounds are open).

    From each of the fund's N-CEN reports on (Item E.3.a, the size as of the report
    period's last day), the latest report on or before the day gives the size; reports
    that repeat the size extend one version. Before the fund's first report, or for a fund
    without any (grantor trusts and commodity pools file no N-CEN), the size is the one
    int_etf_creation_units_inferred knows (var('creation_unit_sizes') 'configured', else
    'inferred' from the share history), else var('default_creation_unit_size') - the only
    source flagged creation_unit_size_assumed.
#}

{%- set configured = var('creation_unit_sizes', {}) or {} %}
{%- set default_size = var('default_creation_unit_size') | int %}

with

universe as (

    select ticker from {{ ref('dim_etf') }}

),

inferred as (

    -- depends on the size and its support only
    select ticker, creation_unit_size, nonzero_changes, multiple_pct
    from {{ ref('int_etf_creation_units_inferred') }}

),

reports as (

    select * from {{ ref('int_ncen_etf_reports') }}
    where creation_unit_size > 0

),

report_changes as (

    select
        reports.*,
        case
            when lag(creation_unit_size) over (
                partition by ticker order by report_period_end
            ) = creation_unit_size then 0
            else 1
        end as starts_version
    from reports

),

report_islands as (

    select
        report_changes.*,
        sum(starts_version) over (
            partition by ticker order by report_period_end
            rows between unbounded preceding and current row
        ) as island
    from report_changes

),

ncen_versions as (

    select
        ticker,
        min(report_period_end) as valid_from,
        max(creation_unit_size) as creation_unit_size,
        'ncen' as creation_unit_size_source,
        max(series_id) as series_id,
        min(report_period_end) as first_report_period_end,
        max(report_period_end) as latest_report_period_end,
        max(case when starts_version = 1 then accession_number end) as first_accession_number,
        count(*) as reports,
        cast(null as integer) as inferred_from_changes,
        cast(null as double) as inferred_multiple_pct
    from report_islands
    group by ticker, island

),

fallback_versions as (

    -- before the first N-CEN (from the beginning), or always without one
    select
        universe.ticker,
        cast(null as date) as valid_from,
        coalesce(inferred.creation_unit_size, {{ default_size }}) as creation_unit_size,
        case
            when inferred.creation_unit_size is null then 'default'
            {%- if configured | length > 0 %}
            when upper(universe.ticker) in ({% for ticker in configured | sort %}'{{ ticker | upper }}'{{ ', ' if not loop.last }}{% endfor %})
                then 'configured'
            {%- endif %}
            else 'inferred'
        end as creation_unit_size_source,
        cast(null as {{ dbt.type_string() }}) as series_id,
        cast(null as date) as first_report_period_end,
        cast(null as date) as latest_report_period_end,
        cast(null as {{ dbt.type_string() }}) as first_accession_number,
        0 as reports,
        cast(inferred.nonzero_changes as integer) as inferred_from_changes,
        inferred.multiple_pct as inferred_multiple_pct
    from universe
    left join inferred
        on universe.ticker = inferred.ticker

),

versions as (

    select
        ticker, valid_from, creation_unit_size, creation_unit_size_source, series_id,
        first_report_period_end, latest_report_period_end, first_accession_number, reports,
        inferred_from_changes, inferred_multiple_pct
    from ncen_versions
    union all
    select
        ticker, valid_from, creation_unit_size, creation_unit_size_source, series_id,
        first_report_period_end, latest_report_period_end, first_accession_number, reports,
        inferred_from_changes, inferred_multiple_pct
    from fallback_versions

),

bounded as (

    select
        versions.*,
        lead(valid_from) over (
            partition by ticker order by valid_from nulls first
        ) as valid_to
    from versions

),

final as (

    select

        ----------  ids
        ticker,
        cast(row_number() over (
            partition by ticker order by valid_from nulls first
        ) as integer) as version_number,

        ----------  validity (data time: the N-CEN report period end)
        valid_from,
        valid_to,
        valid_to is null as is_current,

        ----------  the size and where it comes from
        cast(creation_unit_size as bigint) as creation_unit_size,
        creation_unit_size_source,
        creation_unit_size_source = 'default' as creation_unit_size_assumed,

        ----------  evidence
        series_id,
        first_accession_number,
        first_report_period_end,
        latest_report_period_end,
        cast(reports as integer) as ncen_reports,
        inferred_from_changes,
        inferred_multiple_pct

    from bounded

)

select * from final
