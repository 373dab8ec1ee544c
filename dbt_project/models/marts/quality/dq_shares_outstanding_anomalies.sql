{#
    One row per ticker per trading day per anomaly the share-count checks raised
    (int_shares_outstanding_checked): the count before (as reported, aligned to the day)
    and after (repaired), the repair rule, the detection rule with its thresholds, and
    the count the flow engine used that day. Days carrying a flagged report are listed
    too. A fund with a share-report lag has a 'lagged' row on every day; its "after" is
    the count of the close that day (the lag-adjusted count fct_etf_flows_daily uses).
    A table.
#}

{{ config(materialized='table') }}

{%- set value_kinds = ['spike_revert', 'stale', 'not_unit_multiple', 'split_unadjusted', 'scale_error'] %}

with

checked as (

    select * from {{ ref('int_shares_outstanding_checked') }}

),

flows as (

    -- the count the flow engine used each day (repaired, lag-adjusted)
    select ticker, as_of_date, shares_outstanding, shares_report_lag_days
    from {{ ref('fct_etf_flows_daily') }}

),

anomalies as (

    {%- for kind in value_kinds %}
    select
        checked.ticker,
        checked.as_of_date,
        '{{ kind }}' as anomaly_kind,
        {{ quality_rule_text(kind) }} as detection_rule,
        checked.repair_rule,
        checked.shares_outstanding_repaired as shares_outstanding_after
    from checked
    where checked.is_{{ kind }}
    union all
    {%- endfor %}
    select
        flows.ticker,
        flows.as_of_date,
        'lagged' as anomaly_kind,
        {{ quality_rule_text('lagged') }} as detection_rule,
        'shift_by_report_lag' as repair_rule,
        flows.shares_outstanding as shares_outstanding_after
    from flows
    where flows.shares_report_lag_days <> 0

),

final as (

    select
        ----------  ids
        anomalies.ticker,
        anomalies.as_of_date,
        anomalies.anomaly_kind,

        ----------  the report
        checked.shares_as_of_date as shares_report_date,
        checked.is_report_day,
        checked.shares_outstanding_reported,

        ----------  before and after
        checked.shares_outstanding_raw as shares_outstanding_before,
        anomalies.shares_outstanding_after,
        coalesce(anomalies.shares_outstanding_after <> checked.shares_outstanding_raw, false)
            as is_value_changed,
        flows.shares_outstanding as shares_outstanding_used,

        ----------  rules
        anomalies.detection_rule,
        anomalies.repair_rule,
        checked.anomaly_reasons,
        checked.anomaly_start_date,
        checked.anomaly_onset_ratio,
        checked.stale_aum_implied_shares,
        checked.shares_report_lag_days,
        checked.lag_source,
        checked.creation_unit_size,
        checked.creation_unit_size_source

    from anomalies
    inner join checked
        on anomalies.ticker = checked.ticker
        and anomalies.as_of_date = checked.as_of_date
    left join flows
        on anomalies.ticker = flows.ticker
        and anomalies.as_of_date = flows.as_of_date

)

select * from final
