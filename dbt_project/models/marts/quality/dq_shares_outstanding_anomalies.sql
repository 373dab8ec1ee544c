{#
    One row per ticker per trading day per anomaly the share-count checks raised
    (int_shares_outstanding_checked): the count before (as reported, aligned to the day)
    and after (repaired), the repair rule, the detection rule with its thresholds, and
    the count the flow engine used that day. Days carrying a flagged report are listed
    too. A fund with a share-report lag has a 'lagged' row on every day; its "after" is
    the count of the close that day (the lag-adjusted count fct_etf_flows_daily uses).
    A table.

    Performance (issue 14): the flagged days are taken from the checks first (a few rows,
    not the 10.4M days of the bench), and the flows are read for those days only: reading
    both whole into CTEs had DuckDB materialize and hash them whole. EXPLAIN ANALYZE on the
    bench's 10.4M days (no anomaly at all), load 13: 51 s before, 2.5 s after.
#}

{{ config(materialized='table') }}

{%- set value_kinds = ['spike_revert', 'stale', 'not_unit_multiple', 'split_unadjusted', 'scale_error'] %}

with

flagged_days as (

    -- the days carrying a flagged value, and every day of a lagged fund
    select
        ticker,
        as_of_date,
        {%- for kind in value_kinds %}
        is_{{ kind }},
        {%- endfor %}
        shares_as_of_date,
        is_report_day,
        shares_outstanding_reported,
        shares_outstanding_raw,
        shares_outstanding_repaired,
        repair_rule,
        anomaly_reasons,
        anomaly_start_date,
        anomaly_onset_ratio,
        stale_aum_implied_shares,
        shares_report_lag_days,
        lag_source,
        creation_unit_size,
        creation_unit_size_source
    from {{ ref('int_shares_outstanding_checked') }}
    where has_value_anomaly or shares_report_lag_days <> 0

),

flows as (

    -- the count the flow engine used on those days (repaired, lag-adjusted); joined to
    -- the few flagged days here, so the days table is probed, never hashed whole
    select
        flows.ticker,
        flows.as_of_date,
        flows.shares_outstanding
    from {{ ref('fct_etf_flows_daily') }} as flows
    inner join flagged_days
        on flows.ticker = flagged_days.ticker
        and flows.as_of_date = flagged_days.as_of_date

),

anomalies as (
    {%- for kind in value_kinds %}

    select
        ticker,
        as_of_date,
        '{{ kind }}' as anomaly_kind,
        {{ quality_rule_text(kind) }} as detection_rule,
        repair_rule,
        shares_outstanding_repaired as shares_outstanding_after
    from flagged_days
    where is_{{ kind }}

    union all
    {%- endfor %}

    -- lagged: the count of the day's close, as the flows use it
    select
        flagged_days.ticker,
        flagged_days.as_of_date,
        'lagged' as anomaly_kind,
        {{ quality_rule_text('lagged') }} as detection_rule,
        'shift_by_report_lag' as repair_rule,
        flows.shares_outstanding as shares_outstanding_after
    from flagged_days
    left join flows
        on flagged_days.ticker = flows.ticker
        and flagged_days.as_of_date = flows.as_of_date
    where flagged_days.shares_report_lag_days <> 0

),

final as (

    select
        ----------  ids
        anomalies.ticker,
        anomalies.as_of_date,
        anomalies.anomaly_kind,

        ----------  the report
        flagged_days.shares_as_of_date as shares_report_date,
        flagged_days.is_report_day,
        flagged_days.shares_outstanding_reported,

        ----------  before and after
        flagged_days.shares_outstanding_raw as shares_outstanding_before,
        anomalies.shares_outstanding_after,
        coalesce(anomalies.shares_outstanding_after <> flagged_days.shares_outstanding_raw, false)
            as is_value_changed,
        flows.shares_outstanding as shares_outstanding_used,

        ----------  rules
        anomalies.detection_rule,
        anomalies.repair_rule,
        flagged_days.anomaly_reasons,
        flagged_days.anomaly_start_date,
        flagged_days.anomaly_onset_ratio,
        flagged_days.stale_aum_implied_shares,
        flagged_days.shares_report_lag_days,
        flagged_days.lag_source,
        flagged_days.creation_unit_size,
        flagged_days.creation_unit_size_source

    from anomalies
    inner join flagged_days
        on anomalies.ticker = flagged_days.ticker
        and anomalies.as_of_date = flagged_days.as_of_date
    left join flows
        on anomalies.ticker = flows.ticker
        and anomalies.as_of_date = flows.as_of_date

)

select * from final
