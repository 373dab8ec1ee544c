{#
    One row per ticker: the fund's share-count quality over its whole history and its
    current score. Flag counts are ticker-days of int_shares_outstanding_checked; the
    lag and creation unit come with their source and evidence; quality_score and
    confidence are those of the fund's latest day in fct_etf_flows_dual_method (the
    score the top-flows and signal marts use, day by day). Share-count sources: how
    many days' counts came from the fund's issuer, and how the vendor's counts compared
    with the issuer's on those days (dq_share_count_sources). A table.
#}

{{ config(materialized='table') }}

with

checked as (

    select * from {{ ref('int_shares_outstanding_checked') }}

),

lags as (

    select * from {{ ref('int_etf_shares_lag_detected') }}

),

dual as (

    select * from {{ ref('fct_etf_flows_dual_method') }}

),

source_comparison as (

    select * from {{ ref('dq_share_count_sources') }}

),

sources as (

    select
        ticker,
        count(*) as issuer_compared_days,
        max(issuer_source) as issuer_source,
        median(abs(history_vs_issuer_pct)) as median_abs_history_vs_issuer_pct,
        median(abs(quote_vs_issuer_pct)) as median_abs_quote_vs_issuer_pct,
        count(case when quote_stale_vendor_count then 1 end) as stale_vendor_count_days,
        max(quote_unchanged_while_issuer_moved_days) as max_quote_unchanged_while_issuer_moved_days
    from source_comparison
    group by ticker

),

history as (

    select
        ticker,
        min(as_of_date) as first_date,
        max(as_of_date) as last_date,
        count(*) as trading_days,
        count(case when is_report_day then 1 end) as report_days,
        count(shares_outstanding_raw) as days_with_shares,
        count(case when has_value_anomaly then 1 end) as anomaly_days,
        count(case when is_spike_revert then 1 end) as spike_revert_days,
        count(case when is_stale then 1 end) as stale_days,
        count(case when is_not_unit_multiple then 1 end) as not_unit_multiple_days,
        count(case when is_split_unadjusted then 1 end) as split_unadjusted_days,
        count(case when is_scale_error then 1 end) as scale_error_days,
        count(case when is_repaired then 1 end) as repaired_days,
        count(case when shares_source_type = 'issuer' then 1 end) as issuer_count_days,
        max(creation_unit_size) as creation_unit_size,
        max(creation_unit_size_source) as creation_unit_size_source
    from checked
    group by ticker

),

methods as (

    select
        ticker,
        count(methods_concordant) as both_methods_days,
        count(case when methods_concordant then 1 end) as concordant_days,
        count(case when confidence = 'low' then 1 end) as low_confidence_days
    from dual
    group by ticker

),

ranked_days as (

    select
        ticker,
        as_of_date,
        quality_score,
        confidence,
        row_number() over (partition by ticker order by as_of_date desc) as recency
    from dual

),

latest as (

    select * from ranked_days where recency = 1

),

final as (

    select
        ----------  ids
        history.ticker,

        ----------  coverage
        history.first_date,
        history.last_date,
        cast(history.trading_days as integer) as trading_days,
        cast(history.report_days as integer) as report_days,
        cast(history.days_with_shares as integer) as days_with_shares,

        ----------  flags (ticker-days)
        cast(history.anomaly_days as integer) as anomaly_days,
        cast(history.spike_revert_days as integer) as spike_revert_days,
        cast(history.stale_days as integer) as stale_days,
        cast(history.not_unit_multiple_days as integer) as not_unit_multiple_days,
        cast(history.split_unadjusted_days as integer) as split_unadjusted_days,
        cast(history.scale_error_days as integer) as scale_error_days,
        cast(history.repaired_days as integer) as repaired_days,
        case
            when history.days_with_shares > 0
                then round(100.0 * cast(history.days_with_shares - history.anomaly_days as double)
                           / history.days_with_shares, 4)
        end as clean_days_pct,

        ----------  share-count sources
        cast(history.issuer_count_days as integer) as issuer_count_days,
        case
            when history.days_with_shares > 0
                then round(100.0 * cast(history.issuer_count_days as double) / history.days_with_shares, 4)
        end as issuer_count_pct,
        sources.issuer_source,
        cast(coalesce(sources.issuer_compared_days, 0) as integer) as issuer_compared_days,
        round(sources.median_abs_history_vs_issuer_pct, 4) as median_abs_history_vs_issuer_pct,
        round(sources.median_abs_quote_vs_issuer_pct, 4) as median_abs_quote_vs_issuer_pct,
        cast(coalesce(sources.stale_vendor_count_days, 0) as integer) as stale_vendor_count_days,
        cast(sources.max_quote_unchanged_while_issuer_moved_days as integer)
            as max_quote_unchanged_while_issuer_moved_days,

        ----------  lag and creation unit
        lags.shares_report_lag_days,
        lags.lag_source,
        lags.evidence_days as lag_evidence_days,
        lags.disagreeing_days_lag_0 as lag_0_disagreeing_days,
        {% if var('shares_lag_max_days') | int >= 1 -%}
        lags.disagreeing_days_lag_1
        {%- else -%}
        cast(null as integer)
        {%- endif %} as lag_1_disagreeing_days,
        history.creation_unit_size,
        history.creation_unit_size_source,

        ----------  methods
        cast(coalesce(methods.both_methods_days, 0) as integer) as both_methods_days,
        cast(coalesce(methods.concordant_days, 0) as integer) as concordant_days,
        case
            when methods.both_methods_days > 0
                then round(100.0 * cast(methods.concordant_days as double) / methods.both_methods_days, 4)
        end as concordance_pct,
        cast(coalesce(methods.low_confidence_days, 0) as integer) as low_confidence_days,

        ----------  now
        latest.as_of_date as score_as_of_date,
        latest.quality_score,
        latest.confidence

    from history
    left join lags
        on history.ticker = lags.ticker
    left join methods
        on history.ticker = methods.ticker
    left join latest
        on history.ticker = latest.ticker
    left join sources
        on history.ticker = sources.ticker

)

select * from final
