{#
    One row per ticker per trading day (int_etf_days_aligned's grain): the share count as
    reported (never changed), the checks it failed with their reasons, and the repaired
    count with the rule that produced it. int_etf_shares_lag_adjusted takes
    shares_outstanding_for_flows from here (the repaired count, or the raw one with
    var('shares_repairs_enabled') false) and the fund's lag from
    int_etf_shares_lag_detected.

    Counts are compared as n = count / cumulative split factor of the day the count
    describes (the report day shifted back by the fund's lag), so splits are not jumps.
    A report row is a trading day on which a new report takes effect; the other days
    carry it (and its flags and repair).

    Episodes (report rows from an onset to the first report that is back at the level
    before it, n_base = the report before the onset):
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
        flow of the same size that day (a real in-and-out, e.g. a heartbeat trade, shows
        in total assets too). Repair: the count before the onset is carried; the real
        flows of those days then show on the first good day.
    Repaired episode counts are snapped to whole creation units from the base count when
    the unit is known (int_etf_creation_units_inferred).

    not_unit_multiple (unit known, report rows outside episodes): the count's remainder
    modulo the creation unit changes for at most var('shares_unit_max_reports') reports
    and then returns to the remainder before (only whole units are ever created or
    redeemed). Repair: the count moved to the nearest value with that remainder.

    stale (trading days, where AUM-based flows exist): the count has not changed for at
    least var('shares_stale_min_days') trading days after the day it was set, while
    total assets show a flow of at least one creation unit beyond the noise on at least
    var('shares_stale_min_aum_flow_days') of them. Flagged from the first such day to the
    end of the run. Repair: the count at the start of the run plus the creation units the
    AUM-based flows imply (round(aum_flow / (NAV x unit))), day by day.

    lagged: the fund's counts describe the close shares_report_lag_days trading days
    before their date (int_etf_shares_lag_detected); every day is flagged and the shift
    itself happens in int_etf_shares_lag_adjusted.

    Precedence of repairs on one day: scale_error, split_unadjusted, spike_revert, stale,
    not_unit_multiple. Limitation: a level change that never reverts (a vendor switching
    to thousands for good) is not an episode and is not flagged.
#}

{{ config(materialized='table') }}

{%- set max_lag = quality_max_shares_report_lag() %}
{%- set default_unit = var('default_creation_unit_size') | int %}
{%- set scale = var('shares_scale_factor') | float %}
{%- set scale_tol = var('shares_scale_tolerance_pct') | float / 100.0 %}
{%- set split_tol = var('shares_split_tolerance_pct') | float / 100.0 %}
{%- set level_tol = var('shares_level_tolerance_pct') | float / 100.0 %}
{%- set spike_pct = var('shares_spike_min_pct') | float / 100.0 %}
{%- set spike_units = var('shares_spike_min_creation_units') | float %}
{%- set revert_tol = var('shares_spike_revert_tolerance_pct') | float / 100.0 %}
{%- set revert_reports = var('shares_spike_revert_reports') | int %}
{%- set episode_reports = var('shares_episode_max_reports') | int %}
{%- set unit_reports = var('shares_unit_max_reports') | int %}
{%- set stale_days = var('shares_stale_min_days') | int %}
{%- set stale_aum_days = var('shares_stale_min_aum_flow_days') | int %}

with

days as (

    -- only the columns used: this CTE is read twice, so it is materialized
    select
        ticker,
        as_of_date,
        close,
        volume,
        dividend_per_share,
        split_ratio,
        nav,
        nav_source,
        reported_total_assets_usd,
        shares_outstanding,
        shares_outstanding_reported,
        shares_as_of_date,
        shares_source,
        shares_source_type
    from {{ ref('int_etf_days_aligned') }}

),

lags as (

    select * from {{ ref('int_etf_shares_lag_detected') }}

),

units as (

    select * from {{ ref('int_etf_creation_units_inferred') }}

),

aum_flows as (

    select * from {{ ref('int_etf_flows_aum_based') }}

),

sequenced as (

    -- narrow rows: window passes sort whole rows; the day's other columns join back at the end
    select
        days.ticker,
        days.as_of_date,
        days.split_ratio,
        days.shares_outstanding,
        days.shares_as_of_date,
        coalesce(lags.shares_report_lag_days, 0) as shares_report_lag_days,
        coalesce(lags.lag_source, 'default') as lag_source,
        units.creation_unit_size,
        coalesce(units.creation_unit_size_source, 'unknown') as creation_unit_size_source,
        coalesce(units.creation_unit_size, {{ default_unit }}) as unit_for_sizes,
        aum_flows.aum_flow_usd,
        aum_flows.noise_usd as aum_noise_usd,
        aum_flows.nav as aum_nav,
        row_number() over (partition by days.ticker order by days.as_of_date) as day_number,
        exp(sum(ln(coalesce(days.split_ratio, 1.0))) over (
            partition by days.ticker order by days.as_of_date
            rows between unbounded preceding and current row
        )) as cumulative_split_factor,
        days.shares_as_of_date is not null
            and coalesce(
                lag(days.shares_as_of_date) over (partition by days.ticker order by days.as_of_date)
                    <> days.shares_as_of_date,
                true
            ) as is_report_day
    from days
    left join lags
        on days.ticker = lags.ticker
    left join units
        on days.ticker = units.ticker
    left join aum_flows
        on days.ticker = aum_flows.ticker
        and days.as_of_date = aum_flows.as_of_date

),

effective as (

    -- values of the day a count describes: the report day shifted back by the lag
    select
        sequenced.*,
        coalesce(
            {{ quality_value_at_lag('cumulative_split_factor', 'shares_report_lag_days', 'ticker', 'as_of_date', max_lag) }},
            1.0
        ) as effective_split_factor,
        {{ quality_value_at_lag('aum_flow_usd', 'shares_report_lag_days', 'ticker', 'as_of_date', max_lag) }}
            as effective_aum_flow_usd,
        {{ quality_value_at_lag('aum_noise_usd', 'shares_report_lag_days', 'ticker', 'as_of_date', max_lag) }}
            as effective_aum_noise_usd,
        {{ quality_value_at_lag('aum_nav', 'shares_report_lag_days', 'ticker', 'as_of_date', max_lag) }}
            as effective_nav
    from sequenced

),

normalized as (

    select
        effective.*,
        shares_outstanding / effective_split_factor as shares_normalized
    from effective

),

-- report rows ---------------------------------------------------------------------------

reports as (

    select
        ticker,
        as_of_date,
        shares_as_of_date,
        shares_outstanding,
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
    from normalized
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
        reports.report_number,
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

-- not_unit_multiple ---------------------------------------------------------------------

unit_checked_reports as (

    select
        reports.ticker,
        reports.as_of_date,
        reports.report_number,
        reports.shares_outstanding,
        reports.effective_split_factor,
        reports.creation_unit_size,
        mod(cast(round(reports.shares_outstanding, 0) as bigint), reports.creation_unit_size) as remainder
    from reports
    left join episode_repairs
        on reports.ticker = episode_repairs.ticker
        and reports.as_of_date = episode_repairs.as_of_date
    where
        reports.creation_unit_size is not null
        and episode_repairs.ticker is null

),

remainder_islands as (

    -- consecutive reports with one remainder share report_number - their rank among
    -- the reports with that remainder (gaps left by episode rows only split an island)
    select
        unit_checked_reports.*,
        report_number - row_number() over (
            partition by ticker, effective_split_factor, remainder order by report_number
        ) as island_key
    from unit_checked_reports

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

unit_repairs as (

    select
        remainder_islands.ticker,
        remainder_islands.as_of_date,
        remainder_islands.shares_outstanding,
        -- offset of this count from the remainder before, in [0, unit)
        mod(
            remainder_islands.remainder - islands_with_neighbours.remainder_before
                + remainder_islands.creation_unit_size,
            remainder_islands.creation_unit_size
        ) as unit_offset,
        remainder_islands.creation_unit_size,
        remainder_islands.effective_split_factor
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

unit_repaired as (

    select
        ticker,
        as_of_date,
        case
            when unit_offset * 2 <= creation_unit_size then shares_outstanding - unit_offset
            else shares_outstanding + (creation_unit_size - unit_offset)
        end as repaired_shares,
        effective_split_factor
    from unit_repairs

),

report_results as (

    -- per report: the episode or unit repair, as a normalized count (carried days
    -- multiply it by their own split factor)
    select
        reports.ticker,
        reports.shares_as_of_date,
        episode_repairs.episode_kind,
        episode_repairs.episode_start_date,
        episode_repairs.onset_ratio,
        unit_repaired.ticker is not null as is_not_unit_multiple,
        coalesce(episode_repairs.repaired_shares, unit_repaired.repaired_shares)
            / reports.effective_split_factor as repaired_normalized
    from reports
    left join episode_repairs
        on reports.ticker = episode_repairs.ticker
        and reports.as_of_date = episode_repairs.as_of_date
    left join unit_repaired
        on reports.ticker = unit_repaired.ticker
        and reports.as_of_date = unit_repaired.as_of_date
    where episode_repairs.ticker is not null or unit_repaired.ticker is not null

),

-- trading days: carry report results, then stale runs -----------------------------------

with_reports as (

    select
        normalized.*,
        report_results.episode_kind,
        report_results.episode_start_date,
        report_results.onset_ratio,
        coalesce(report_results.is_not_unit_multiple, false) as is_not_unit_multiple,
        report_results.repaired_normalized
    from normalized
    left join report_results
        on normalized.ticker = report_results.ticker
        and normalized.shares_as_of_date = report_results.shares_as_of_date

),

aum_days as (

    -- stale needs total assets: only days with an AUM-based flow are examined (a run that
    -- began before them counts from the first such day)
    select
        ticker,
        as_of_date,
        day_number,
        is_report_day,
        shares_as_of_date,
        shares_normalized,
        effective_split_factor,
        unit_for_sizes,
        episode_kind,
        case
            when abs(effective_aum_flow_usd) > effective_aum_noise_usd
                and effective_nav > 0
                then round(effective_aum_flow_usd / (effective_nav * unit_for_sizes), 0)
            else 0
        end as aum_implied_units
    from with_reports
    where effective_aum_flow_usd is not null

),

unchanged as (

    select
        aum_days.*,
        case
            when shares_normalized is not null
                and abs(
                    shares_normalized
                    - lag(shares_normalized) over (partition by ticker order by as_of_date)
                ) * effective_split_factor < 0.5
                then 0
            else 1
        end as starts_run
    from aum_days

),

runs as (

    select
        unchanged.*,
        sum(starts_run) over (
            partition by ticker order by as_of_date
            rows between unbounded preceding and current row
        ) as run_number
    from unchanged

),

runs_accumulated as (

    -- creation units total assets imply since the run's first day (normalized shares)
    select
        runs.*,
        sum(
            case
                when starts_run = 0 then aum_implied_units * unit_for_sizes / effective_split_factor
                else 0
            end
        ) over (
            partition by ticker, run_number order by as_of_date
            rows between unbounded preceding and current row
        ) as cumulative_aum_implied_change
    from runs

),

run_stats as (

    select
        ticker,
        run_number,
        count(*) - 1 as unchanged_days,
        sum(case when starts_run = 0 and aum_implied_units <> 0 then 1 else 0 end) as aum_flow_days,
        min(case when starts_run = 0 and aum_implied_units <> 0 then day_number end) as first_aum_flow_day,
        min(case when starts_run = 1 then shares_normalized end) as run_start_normalized
    from runs
    where episode_kind is null
    group by ticker, run_number

),

stale_reports as (

    -- stale report days; days carrying a report carry its verdict and repair, so a
    -- carried count stays no flow (the units of carried days land on the next report)
    select
        runs.ticker,
        runs.shares_as_of_date,
        (run_stats.run_start_normalized + runs.cumulative_aum_implied_change)
            as stale_repaired_normalized,
        runs.cumulative_aum_implied_change as stale_implied_normalized_change
    from runs_accumulated as runs
    inner join run_stats
        on runs.ticker = run_stats.ticker
        and runs.run_number = run_stats.run_number
    where
        runs.is_report_day
        and runs.episode_kind is null
        and runs.starts_run = 0
        and run_stats.unchanged_days >= {{ stale_days }}
        and run_stats.aum_flow_days >= {{ stale_aum_days }}
        and runs.day_number >= run_stats.first_aum_flow_day
        and abs(runs.cumulative_aum_implied_change) * runs.effective_split_factor >= 0.5

),

staled as (

    select
        with_reports.*,
        stale_reports.ticker is not null as is_stale,
        stale_reports.stale_repaired_normalized,
        stale_reports.stale_implied_normalized_change as aum_implied_normalized_change
    from with_reports
    left join stale_reports
        on with_reports.ticker = stale_reports.ticker
        and with_reports.shares_as_of_date = stale_reports.shares_as_of_date

),

flagged as (

    select
        staled.*,
        coalesce(episode_kind = 'spike_revert', false) as is_spike_revert,
        coalesce(episode_kind = 'split_unadjusted', false) as is_split_unadjusted,
        coalesce(episode_kind = 'scale_error', false) as is_scale_error,
        shares_report_lag_days <> 0 as is_lagged,
        case
            when episode_kind is not null then repaired_normalized * effective_split_factor
            when is_stale then stale_repaired_normalized * effective_split_factor
            when is_not_unit_multiple then repaired_normalized * effective_split_factor
            else shares_outstanding
        end as repaired_unrounded,
        case
            when episode_kind = 'spike_revert' then 'carry_last_good_count'
            when episode_kind = 'scale_error' then 'rescale_by_factor'
            when episode_kind = 'split_unadjusted' then 'apply_split_ratio'
            when is_stale then 'add_aum_implied_units'
            when is_not_unit_multiple then 'snap_to_creation_unit'
        end as repair_rule
    from staled

),

final as (

    select
        ----------  ids
        flagged.ticker,
        flagged.as_of_date,

        ----------  the day (passed through for the flow engine)
        days.close,
        days.volume,
        days.dividend_per_share,
        days.split_ratio,
        days.nav,
        days.nav_source,
        days.reported_total_assets_usd,

        ----------  the count as reported (never changed)
        days.shares_outstanding_reported,
        flagged.shares_outstanding as shares_outstanding_raw,
        flagged.shares_as_of_date,
        days.shares_source,
        days.shares_source_type,
        is_report_day,

        ----------  fund context
        cast(shares_report_lag_days as integer) as shares_report_lag_days,
        lag_source,
        creation_unit_size,
        creation_unit_size_source,

        ----------  checks
        is_spike_revert,
        is_stale,
        is_not_unit_multiple,
        is_split_unadjusted,
        is_scale_error,
        is_lagged,
        (is_spike_revert or is_stale or is_not_unit_multiple or is_split_unadjusted
            or is_scale_error) as has_value_anomaly,
        nullif(
            {{ dbt.concat([
                "case when is_spike_revert then ',spike_revert' else '' end",
                "case when is_stale then ',stale' else '' end",
                "case when is_not_unit_multiple then ',not_unit_multiple' else '' end",
                "case when is_split_unadjusted then ',split_unadjusted' else '' end",
                "case when is_scale_error then ',scale_error' else '' end",
                "case when is_lagged then ',lagged' else '' end",
            ]) }},
            ''
        ) as anomaly_reasons_list,
        episode_start_date as anomaly_start_date,
        onset_ratio as anomaly_onset_ratio,
        case when is_stale then aum_implied_normalized_change * effective_split_factor end
            as stale_aum_implied_shares,

        ----------  repair
        repair_rule,
        round(repaired_unrounded, 0) as shares_outstanding_repaired,
        coalesce(round(repaired_unrounded, 0) <> flagged.shares_outstanding, false) as is_repaired,
        {% if var('shares_repairs_enabled') -%}
        round(repaired_unrounded, 0)
        {%- else -%}
        flagged.shares_outstanding
        {%- endif %} as shares_outstanding_for_flows

    from flagged
    inner join days
        on flagged.ticker = days.ticker
        and flagged.as_of_date = days.as_of_date

)

select
    ticker,
    as_of_date,
    close,
    volume,
    dividend_per_share,
    split_ratio,
    nav,
    nav_source,
    reported_total_assets_usd,
    shares_outstanding_reported,
    shares_outstanding_raw,
    shares_as_of_date,
    shares_source,
    shares_source_type,
    is_report_day,
    shares_report_lag_days,
    lag_source,
    creation_unit_size,
    creation_unit_size_source,
    is_spike_revert,
    is_stale,
    is_not_unit_multiple,
    is_split_unadjusted,
    is_scale_error,
    is_lagged,
    has_value_anomaly,
    case
        when anomaly_reasons_list is not null
            then {{ dbt.right('anomaly_reasons_list', dbt.length('anomaly_reasons_list') ~ ' - 1') }}
    end as anomaly_reasons,
    anomaly_start_date,
    anomaly_onset_ratio,
    stale_aum_implied_shares,
    repair_rule,
    shares_outstanding_repaired,
    is_repaired,
    shares_outstanding_for_flows
from final
