{#
    One row per ticker per trading day (int_etf_days_aligned's grain): the share count as
    reported (never changed), the checks it failed with their reasons, and the repaired
    count with the rule that produced it. int_etf_shares_lag_adjusted takes
    shares_outstanding_for_flows from here (the repaired count, or the raw one with
    var('shares_repairs_enabled') false) and the fund's lag.

    The checks live in one model per family, each reading the normalized counts
    (int_shares_outstanding_normalized) and stating its rule in its header:
    int_shares_checks_episodes (spike_revert, scale_error, split_unadjusted),
    int_shares_checks_unit_multiples (not_unit_multiple) and
    int_shares_checks_stale_runs (stale). Their results are per report; the days carrying
    a report carry its flags and repair. lagged: the fund's counts describe the close
    shares_report_lag_days trading days before their date (int_etf_shares_lag_detected);
    every day is flagged and the shift itself happens in int_etf_shares_lag_adjusted.

    Precedence of repairs on one day: scale_error, split_unadjusted, spike_revert, stale,
    not_unit_multiple.

    Incremental: each fund is rebuilt from the first day the normalized counts or any
    family rewrote since this model last ran, and from flows_recompute_from() at the
    latest (macros/quality/quality_incremental.sql).

    Performance (issue 14): this was one 745-line model of 30 CTEs whose window passes
    sorted whole joined day rows and re-read every fund's history on every run; split by
    family, each pass sorts only the narrow rows it needs, each family rebuilds from its
    open state, and their flagged rows join back here on the key.
#}

{{ config(materialized='incremental', unique_key=['ticker', 'as_of_date']) }}

{%- set recompute_from = flows_recompute_from() %}

with

days as (

    select * from {{ ref('int_etf_days_aligned') }}

),

all_normalized as (

    select * from {{ ref('int_shares_outstanding_normalized') }}

),

episodes as (

    select * from {{ ref('int_shares_checks_episodes') }}
    where episode_kind is not null

),

unit_multiples as (

    select * from {{ ref('int_shares_checks_unit_multiples') }}
    where repaired_shares is not null

),

stale_runs as (

    select * from {{ ref('int_shares_checks_stale_runs') }}
    where is_stale

),

{% if recompute_from is not none -%}
rewritten as (

    {{ quality_rewritten_from([ref('int_shares_outstanding_normalized'),
                               ref('int_shares_checks_episodes'),
                               ref('int_shares_checks_unit_multiples'),
                               ref('int_shares_checks_stale_runs')]) }}

),

normalized as (

    -- each fund from the first day an input rewrote, and every fund from the days the
    -- flow models rebuild (the days' prices come from int_etf_days_aligned)
    select all_normalized.*
    from all_normalized
    left join rewritten
        on all_normalized.ticker = rewritten.ticker
    where
        all_normalized.as_of_date >= cast('{{ recompute_from }}' as date)
        or all_normalized.as_of_date >= rewritten.rewritten_from

),
{%- else -%}
normalized as (

    select * from all_normalized

),
{%- endif %}

flagged as (

    -- report results reach every day carrying the report (as normalized counts, times
    -- the day's own split factor)
    select
        normalized.ticker,
        normalized.as_of_date,
        normalized.shares_outstanding,
        normalized.shares_as_of_date,
        normalized.is_report_day,
        normalized.shares_report_lag_days,
        normalized.lag_source,
        normalized.creation_unit_size,
        normalized.creation_unit_size_source,
        episodes.episode_kind,
        episodes.episode_start_date,
        episodes.onset_ratio,
        coalesce(episodes.episode_kind = 'spike_revert', false) as is_spike_revert,
        coalesce(episodes.episode_kind = 'split_unadjusted', false) as is_split_unadjusted,
        coalesce(episodes.episode_kind = 'scale_error', false) as is_scale_error,
        stale_runs.ticker is not null as is_stale,
        unit_multiples.ticker is not null as is_not_unit_multiple,
        normalized.shares_report_lag_days <> 0 as is_lagged,
        stale_runs.aum_implied_normalized_change * normalized.effective_split_factor
            as stale_aum_implied_shares,
        case
            when episodes.ticker is not null
                then episodes.repaired_shares / episodes.effective_split_factor
                    * normalized.effective_split_factor
            when stale_runs.ticker is not null
                then stale_runs.stale_repaired_normalized * normalized.effective_split_factor
            when unit_multiples.ticker is not null
                then unit_multiples.repaired_shares / unit_multiples.effective_split_factor
                    * normalized.effective_split_factor
            else normalized.shares_outstanding
        end as repaired_unrounded,
        case
            when episodes.episode_kind = 'spike_revert' then 'carry_last_good_count'
            when episodes.episode_kind = 'scale_error' then 'rescale_by_factor'
            when episodes.episode_kind = 'split_unadjusted' then 'apply_split_ratio'
            when stale_runs.ticker is not null then 'add_aum_implied_units'
            when unit_multiples.ticker is not null then 'snap_to_creation_unit'
        end as repair_rule
    from normalized
    left join episodes
        on normalized.ticker = episodes.ticker
        and normalized.shares_as_of_date = episodes.shares_as_of_date
    left join unit_multiples
        on normalized.ticker = unit_multiples.ticker
        and normalized.shares_as_of_date = unit_multiples.shares_as_of_date
    left join stale_runs
        on normalized.ticker = stale_runs.ticker
        and normalized.shares_as_of_date = stale_runs.shares_as_of_date

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
        flagged.is_report_day,

        ----------  fund context
        cast(flagged.shares_report_lag_days as integer) as shares_report_lag_days,
        flagged.lag_source,
        flagged.creation_unit_size,
        flagged.creation_unit_size_source,

        ----------  checks
        flagged.is_spike_revert,
        flagged.is_stale,
        flagged.is_not_unit_multiple,
        flagged.is_split_unadjusted,
        flagged.is_scale_error,
        flagged.is_lagged,
        (flagged.is_spike_revert or flagged.is_stale or flagged.is_not_unit_multiple
            or flagged.is_split_unadjusted or flagged.is_scale_error) as has_value_anomaly,
        nullif(
            {{ dbt.concat([
                "case when flagged.is_spike_revert then ',spike_revert' else '' end",
                "case when flagged.is_stale then ',stale' else '' end",
                "case when flagged.is_not_unit_multiple then ',not_unit_multiple' else '' end",
                "case when flagged.is_split_unadjusted then ',split_unadjusted' else '' end",
                "case when flagged.is_scale_error then ',scale_error' else '' end",
                "case when flagged.is_lagged then ',lagged' else '' end",
            ]) }},
            ''
        ) as anomaly_reasons_list,
        flagged.episode_start_date as anomaly_start_date,
        flagged.onset_ratio as anomaly_onset_ratio,
        flagged.stale_aum_implied_shares,

        ----------  repair
        flagged.repair_rule,
        round(flagged.repaired_unrounded, 0) as shares_outstanding_repaired,
        coalesce(round(flagged.repaired_unrounded, 0) <> flagged.shares_outstanding, false)
            as is_repaired,
        {% if var('shares_repairs_enabled') -%}
        round(flagged.repaired_unrounded, 0)
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
    shares_outstanding_for_flows,
    -- the run that wrote the row (macros/quality/quality_incremental.sql)
    {{ quality_run_started_at() }} as dbt_run_started_at
from final
