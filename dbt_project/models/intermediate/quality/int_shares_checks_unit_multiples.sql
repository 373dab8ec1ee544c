{#
    The reports flagged not_unit_multiple: only whole creation
    units are ever created or redeemed, so a count's remainder modulo the unit stays put.
    Where the unit is known (int_etf_creation_units_inferred) and the report is not in an
    episode (int_shares_checks_episodes), a remainder that changes for at most
    var('shares_unit_max_reports') reports and then returns to the remainder before is a
    wrong count. Repair: the count moved to the nearest value with that remainder.

    Consecutive reports with one remainder form an island (report_number minus their rank
    among the reports with that remainder; episode reports left out only split an island);
    an island is flagged when the islands on both sides share a remainder it differs from.

    One row per trading day (int_shares_outstanding_normalized's grain; repaired_shares
    is set on the flagged reports). Incremental (macros/quality/quality_incremental.sql):
    where the normalized counts or the episodes changed, the island just before the change
    can join or border the changed reports, which matters only if it spans at most
    var('shares_unit_max_reports') reports; so a fund is rebuilt from that many reports
    (plus one) before the first day its inputs rewrote, reading back to the island before
    (past an episode of up to var('shares_episode_max_reports') reports). Limitation: an
    island preceded by a chain of episodes longer than that has no island before it in an
    incremental run, and is not flagged (a full build compares it across the chain).
#}

{{ config(materialized='incremental', unique_key=['ticker', 'as_of_date']) }}

{%- set unit_reports = var('shares_unit_max_reports') | int %}
{%- set episode_reports = var('shares_episode_max_reports') | int %}

{#- a full build when the model is new, empty or --full-refresh #}
{%- set incremental = flows_recompute_from() is not none %}

with

normalized as (

    select * from {{ ref('int_shares_outstanding_normalized') }}

),

{% if incremental -%}
rewritten as (

    {{ quality_rewritten_from([ref('int_shares_outstanding_normalized'),
                               ref('int_shares_checks_episodes')]) }}

),

bounds as (

    {{ quality_report_bounds('normalized', 'rewritten', unit_reports + 1,
                             2 * unit_reports + episode_reports + 2) }}

),
{%- endif %}

days as (

    {{ quality_window_days(incremental, 'bounds.read_from') }}

),

reports as (

    select
        ticker,
        as_of_date,
        shares_outstanding,
        effective_split_factor,
        creation_unit_size,
        row_number() over (partition by ticker order by as_of_date) as report_number
    from days
    where is_report_day and shares_outstanding > 0

),

episodes as (

    select * from {{ ref('int_shares_checks_episodes') }}
    where episode_kind is not null

),

checked_reports as (

    select
        reports.*,
        mod(cast(round(reports.shares_outstanding, 0) as bigint), reports.creation_unit_size) as remainder
    from reports
    left join episodes
        on reports.ticker = episodes.ticker
        and reports.as_of_date = episodes.as_of_date
    where
        reports.creation_unit_size is not null
        and episodes.ticker is null

),

remainder_islands as (

    select
        checked_reports.*,
        report_number - row_number() over (
            partition by ticker, effective_split_factor, remainder order by report_number
        ) as island_key
    from checked_reports

),

islands as (

    select
        ticker,
        effective_split_factor,
        remainder,
        island_key,
        min(report_number) as first_report_number,
        count(*) as reports
    from remainder_islands
    group by ticker, effective_split_factor, remainder, island_key

),

islands_with_neighbours as (

    select
        islands.*,
        lag(remainder) over (
            partition by ticker, effective_split_factor order by first_report_number
        ) as remainder_before,
        lead(remainder) over (
            partition by ticker, effective_split_factor order by first_report_number
        ) as remainder_after
    from islands

),

off_unit as (

    select
        remainder_islands.ticker,
        remainder_islands.as_of_date,
        remainder_islands.shares_outstanding,
        remainder_islands.creation_unit_size,
        remainder_islands.effective_split_factor,
        -- offset of this count from the remainder before, in [0, unit)
        mod(
            remainder_islands.remainder - islands_with_neighbours.remainder_before
                + remainder_islands.creation_unit_size,
            remainder_islands.creation_unit_size
        ) as unit_offset
    from remainder_islands
    inner join islands_with_neighbours
        on remainder_islands.ticker = islands_with_neighbours.ticker
        and remainder_islands.effective_split_factor = islands_with_neighbours.effective_split_factor
        and remainder_islands.remainder = islands_with_neighbours.remainder
        and remainder_islands.island_key = islands_with_neighbours.island_key
    where
        islands_with_neighbours.remainder_before = islands_with_neighbours.remainder_after
        and islands_with_neighbours.remainder <> islands_with_neighbours.remainder_before
        and islands_with_neighbours.reports <= {{ unit_reports }}

),

unit_repairs as (

    select
        ticker,
        as_of_date,
        case
            when unit_offset * 2 <= creation_unit_size then shares_outstanding - unit_offset
            else shares_outstanding + (creation_unit_size - unit_offset)
        end as repaired_shares
    from off_unit

),

final as (

    select
        ----------  ids
        days.ticker,
        days.as_of_date,
        days.shares_as_of_date,

        ----------  repair, as a count in this report's units (null: not flagged)
        unit_repairs.repaired_shares,
        days.effective_split_factor,

        ----------  the run that wrote the row (macros/quality/quality_incremental.sql)
        {{ quality_run_started_at() }} as dbt_run_started_at

    from days
    left join unit_repairs
        on days.ticker = unit_repairs.ticker
        and days.as_of_date = unit_repairs.as_of_date
    where {{ quality_from_bound('days', 'days.write_from') }}

)

select * from final
