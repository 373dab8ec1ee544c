{#
    The episodes of a fund's reports: a reported count that jumped away from the level
    before it and came back, and its repair. Episodes run from an
    onset report to the first report back at the level before it; n_base is the
    normalized count of the report before the onset (int_shares_outstanding_normalized).

      * scale_error: n / n_base within var('shares_scale_tolerance_pct') % of
        var('shares_scale_factor') or its inverse (units vs thousands), back at the base
        level (within var('shares_level_tolerance_pct') %) within
        var('shares_episode_max_reports') reports. Repair: divide (or multiply) by the
        factor.
      * split_unadjusted: a split went ex since the previous report, yet n / n_base is
        within var('shares_split_tolerance_pct') % of 1 / ratio (the count kept its
        pre-split units), back at the base level within the same window. Repair:
        multiply by the split ratio.
      * spike_revert: |n - n_base| at least var('shares_spike_min_pct') % of the count and
        var('shares_spike_min_creation_units') creation units, back within
        var('shares_spike_revert_tolerance_pct') % of the jump within
        var('shares_spike_revert_reports') reports, and not confirmed by an AUM-based
        flow of the same size that day (a real in-and-out shows in total assets too).
        Repair: the count before the onset is carried.

    Repaired counts are snapped to whole creation units from the base count when the unit
    is known. Where episodes overlap, the first by precedence (scale_error,
    split_unadjusted, spike_revert), then by onset, wins. Limitation: a level change that
    never reverts (a vendor switching to thousands for good) is not an episode.

    One row per trading day (int_shares_outstanding_normalized's grain; the episode
    columns are set on the report days in an episode), so a rebuild rewrites every key it
    covers. Incremental (macros/quality/quality_incremental.sql): an episode ends at most
    var('shares_episode_max_reports') reports after its onset, so the episodes open when
    the normalized counts changed start within that many reports before the change; a
    fund is rebuilt from that many reports (plus one) before the first day its normalized
    counts were rewritten, reading as many again before them (the onsets whose episodes
    reach them, with their base).
#}

{{ config(materialized='incremental', unique_key=['ticker', 'as_of_date']) }}

{%- set scale = var('shares_scale_factor') | float %}
{%- set scale_tol = var('shares_scale_tolerance_pct') | float / 100.0 %}
{%- set split_tol = var('shares_split_tolerance_pct') | float / 100.0 %}
{%- set level_tol = var('shares_level_tolerance_pct') | float / 100.0 %}
{%- set spike_pct = var('shares_spike_min_pct') | float / 100.0 %}
{%- set spike_units = var('shares_spike_min_creation_units') | float %}
{%- set revert_tol = var('shares_spike_revert_tolerance_pct') | float / 100.0 %}
{%- set revert_reports = var('shares_spike_revert_reports') | int %}
{%- set episode_reports = var('shares_episode_max_reports') | int %}

{#- a full build when the model is new, empty or --full-refresh #}
{%- set incremental = flows_recompute_from() is not none %}

with

normalized as (

    select * from {{ ref('int_shares_outstanding_normalized') }}

),

{% if incremental -%}
rewritten as (

    {{ quality_rewritten_from([ref('int_shares_outstanding_normalized')]) }}

),

bounds as (

    {{ quality_report_bounds('normalized', 'rewritten', episode_reports + 1, 2 * episode_reports + 2) }}

),
{%- endif %}

days as (

    {{ quality_window_days(incremental, 'bounds.read_from') }}

),

reports as (

    select
        ticker,
        as_of_date,
        shares_normalized,
        effective_split_factor,
        effective_aum_flow_usd,
        effective_aum_noise_usd,
        effective_nav,
        creation_unit_size,
        unit_for_sizes,
        row_number() over (partition by ticker order by as_of_date) as report_number,
        lag(shares_normalized) over (partition by ticker order by as_of_date) as base_normalized,
        lag(effective_split_factor) over (partition by ticker order by as_of_date)
            as base_split_factor
    from days
    where is_report_day and shares_outstanding > 0

),

onsets as (

    select
        reports.*,
        shares_normalized / base_normalized as onset_ratio,
        effective_split_factor / base_split_factor as split_since_base,
        case
            when abs(ln(shares_normalized / base_normalized) - ln({{ scale }})) <= ln(1.0 + {{ scale_tol }})
                or abs(ln(shares_normalized / base_normalized) + ln({{ scale }})) <= ln(1.0 + {{ scale_tol }})
                then 'scale_error'
            when abs(ln(effective_split_factor / base_split_factor)) > 0.001
                and abs(ln(shares_normalized / base_normalized) + ln(effective_split_factor / base_split_factor))
                    <= ln(1.0 + {{ split_tol }})
                then 'split_unadjusted'
            when abs(shares_normalized - base_normalized) >= {{ spike_pct }} * base_normalized
                and abs(shares_normalized - base_normalized) * effective_split_factor
                    >= {{ spike_units }} * unit_for_sizes
                and not coalesce(
                    {{ quality_flows_agree(
                        '(shares_normalized - base_normalized) * effective_split_factor * effective_nav',
                        'effective_aum_flow_usd', 'effective_aum_noise_usd') }},
                    false
                )
                then 'spike_revert'
        end as onset_kind
    from reports
    where base_normalized > 0

),

episode_ends as (

    -- an equi-join on the ticker, then the report window: onsets are rare, so the pairs
    -- are few (the onset rows are filtered before the join)
    select
        onsets.ticker,
        onsets.report_number as start_report_number,
        min(later.report_number) as end_report_number
    from onsets
    inner join reports as later
        on onsets.ticker = later.ticker
        and later.report_number > onsets.report_number
        and later.report_number <= onsets.report_number
            + case when onsets.onset_kind = 'spike_revert' then {{ revert_reports }} else {{ episode_reports }} end
    where
        onsets.onset_kind is not null
        and later.shares_normalized > 0
        and (
            (
                onsets.onset_kind = 'spike_revert'
                and abs(later.shares_normalized - onsets.base_normalized)
                    <= {{ revert_tol }} * abs(onsets.shares_normalized - onsets.base_normalized)
            )
            or (
                onsets.onset_kind <> 'spike_revert'
                and abs(ln(later.shares_normalized / onsets.base_normalized)) <= ln(1.0 + {{ level_tol }})
            )
        )
    group by onsets.ticker, onsets.report_number

),

episodes as (

    select
        onsets.ticker,
        onsets.onset_kind as episode_kind,
        onsets.as_of_date as episode_start_date,
        onsets.report_number as start_report_number,
        episode_ends.end_report_number,
        onsets.base_normalized,
        onsets.onset_ratio,
        case
            when onsets.onset_kind = 'scale_error' and onsets.onset_ratio > 1 then 1.0 / {{ scale }}
            when onsets.onset_kind = 'scale_error' then {{ scale }}
            when onsets.onset_kind = 'split_unadjusted' then onsets.split_since_base
        end as repair_factor,
        case onsets.onset_kind
            when 'scale_error' then 1
            when 'split_unadjusted' then 2
            else 3
        end as precedence
    from onsets
    inner join episode_ends
        on onsets.ticker = episode_ends.ticker
        and onsets.report_number = episode_ends.start_report_number

),

reports_in_episodes as (

    select
        reports.ticker,
        reports.as_of_date,
        reports.shares_normalized,
        reports.effective_split_factor,
        reports.creation_unit_size,
        episodes.episode_kind,
        episodes.episode_start_date,
        episodes.base_normalized,
        episodes.onset_ratio,
        episodes.repair_factor,
        row_number() over (
            partition by reports.ticker, reports.report_number
            order by episodes.precedence, episodes.start_report_number
        ) as episode_rank
    from reports
    inner join episodes
        on reports.ticker = episodes.ticker
        and reports.report_number >= episodes.start_report_number
        and reports.report_number < episodes.end_report_number

),

episode_repairs as (

    select
        ticker,
        as_of_date,
        episode_kind,
        episode_start_date,
        onset_ratio,
        case
            when episode_kind = 'spike_revert' then base_normalized * effective_split_factor
            when creation_unit_size is null then shares_normalized * repair_factor * effective_split_factor
            -- snapped to whole creation units from the base count
            else base_normalized * effective_split_factor
                + round(
                    (shares_normalized * repair_factor - base_normalized) * effective_split_factor
                    / creation_unit_size,
                    0
                ) * creation_unit_size
        end as repaired_shares
    from reports_in_episodes
    where episode_rank = 1

),

final as (

    select
        ----------  ids
        days.ticker,
        days.as_of_date,
        days.shares_as_of_date,

        ----------  the episode (null outside one)
        episode_repairs.episode_kind,
        episode_repairs.episode_start_date,
        episode_repairs.onset_ratio,

        ----------  repair, as a count in this report's units
        episode_repairs.repaired_shares,
        days.effective_split_factor,

        ----------  the run that wrote the row (macros/quality/quality_incremental.sql)
        {{ quality_run_started_at() }} as dbt_run_started_at

    from days
    left join episode_repairs
        on days.ticker = episode_repairs.ticker
        and days.as_of_date = episode_repairs.as_of_date
    where {{ quality_from_bound('days', 'days.write_from') }}

)

select * from final
