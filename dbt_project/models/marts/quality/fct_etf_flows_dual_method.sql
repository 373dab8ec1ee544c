{#
    One row per ticker per trading day (fct_etf_flows_daily's rows): the two independent
    flow estimates side by side, whether they agree, the best estimate with the method
    it comes from, and how far to trust the day (confidence) and the fund (quality_score).

    * shares_flow_usd: fct_etf_flows_daily.net_flow_usd (repaired, lag-adjusted counts).
    * shares_flow_raw_usd: the same arithmetic on the counts as reported, no repair and
      no lag shift (what the flow engine shows with the checks off).
    * aum_flow_usd: int_etf_flows_aum_based (AUM_t - AUM_{t-1} x NAV_t / NAV_{t-1},
      distributions added back), only where total assets are known on both days.
    * methods_concordant: quality_flows_agree(shares, aum, noise): within the rounding
      noise plus var('flow_concordance_tolerance_pct') % of the larger, i.e. the same sign
      unless one is about zero. Null without an AUM-based flow.

    best_estimate_flow_usd / method:
      no AUM-based flow             -> shares flow          'shares'
      both, and they agree          -> shares flow          'merged' (confirmed by both;
                                                            the count gives whole units)
      both disagree, count flagged  -> AUM-based flow       'aum'
        or repaired (this or the previous day), or no count
      both disagree, count clean    -> shares flow          'shares' (low confidence:
                                                            total assets may be the stale input)

    quality_score: per fund, the share (0-100) of its last var('quality_score_window_days')
    trading rows (first rows of a ticker left out) whose flow is trustworthy: measured,
    from counts that raised no value anomaly, and where both methods exist, agreeing.
    confidence of a day: 'low' without a best estimate, when the methods disagree on a
    clean count, or when quality_score < var('quality_low_confidence_score'); 'medium'
    when a repair or flag touched this or the previous count, the AUM-based flow stands
    in, or quality_score < var('quality_high_confidence_score'); else 'high'. A day
    whose count is the vendor's (shares_source_type 'vendor': no issuer count) drops a
    level (high to medium, medium to low). A window's confidence (5d, 20d, ytd) is the
    lowest of its days (a ticker's first day left out; a day without a flow counts as
    medium there, before the vendor drop).

    Incremental: rebuilds rows from flows_recompute_from(); the year-to-date confidence
    needs every day since 1 January, and each of those days' quality score the
    var('quality_score_window_days') rows before it, so input is read from that many
    trading days (plus the 20-day window and the lag) before 1 January.

    Performance (issue 14; 2.6M ETF-days, the statement alone into a temporary table,
    process CPU at load 15-19, cumulative by CTE): the lead pass 1.7 s, the lag pass
    2.6 s, joining the estimates 5.0 s, the quality-score window (narrow rows) 4.2 s, the
    5/20-day and year-to-date windows 7.2 s, joining them back to the wide rows 11.5 s,
    final 13.0 s; writing the table comes on top. Tried, measured interleaved, not kept:
    the trust windows over the wide rows with no join back (15.4 and 16.6 s against 11.4
    and 12.3 s, two runs each); `estimated` inlined instead of materialized (12.6 and
    12.7 s against 12.3 and 12.8 s).
#}

{{ config(materialized='incremental', unique_key=['ticker', 'as_of_date']) }}

{%- set max_lag = quality_max_shares_report_lag() %}
{%- set score_days = var('quality_score_window_days') | int %}
{%- set low_score = var('quality_low_confidence_score') | float %}
{%- set high_score = var('quality_high_confidence_score') | float %}
{%- set recompute_from = flows_recompute_from() %}
{%- set year_start = recompute_from[:4] ~ '-01-01' if recompute_from else none %}
{%- set input_from = flows_input_from(year_start, score_days + 20 + max_lag) %}

with

flows as (

    select * from {{ ref('fct_etf_flows_daily') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', input_from) }}

),

checked as (

    select * from {{ ref('int_shares_outstanding_checked') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', input_from) }}

),

aum_flows as (

    select * from {{ ref('int_etf_flows_aum_based') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', input_from) }}

),

checked_for_flow_day as (

    -- the checks of the count a day's flow uses: the report shares_report_lag_days later
    select
        ticker,
        as_of_date,
        shares_outstanding_raw,
        coalesce(split_ratio, 1.0) as split_factor,
        coalesce(
            {{ quality_value_at_lag('has_value_anomaly', 'shares_report_lag_days', 'ticker', 'as_of_date', max_lag, lead=true) }},
            false
        ) as count_flagged,
        coalesce(
            {{ quality_value_at_lag('is_repaired', 'shares_report_lag_days', 'ticker', 'as_of_date', max_lag, lead=true) }},
            false
        ) as count_repaired,
        {{ quality_value_at_lag('anomaly_reasons', 'shares_report_lag_days', 'ticker', 'as_of_date', max_lag, lead=true) }}
            as count_anomaly_reasons,
        {{ quality_value_at_lag('repair_rule', 'shares_report_lag_days', 'ticker', 'as_of_date', max_lag, lead=true) }}
            as count_repair_rule
    from checked

),

checks_with_previous as (

    select
        checked_for_flow_day.*,
        lag(shares_outstanding_raw) over (partition by ticker order by as_of_date)
            * split_factor as shares_outstanding_raw_prev,
        coalesce(lag(count_flagged) over (partition by ticker order by as_of_date), false)
            as prev_count_flagged,
        coalesce(lag(count_repaired) over (partition by ticker order by as_of_date), false)
            as prev_count_repaired
    from checked_for_flow_day

),

compared as (

    select
        flows.ticker,
        flows.as_of_date,
        flows.nav,
        flows.nav_source,
        flows.shares_source,
        flows.shares_source_type,
        flows.flow_status,
        flows.shares_report_lag_days,
        flows.aum_start_usd,
        flows.shares_outstanding,
        checks.shares_outstanding_raw,
        checks.count_anomaly_reasons as anomaly_reasons,
        checks.count_repair_rule as repair_rule,
        flows.net_flow_usd as shares_flow_usd,
        case
            when flows.prev_as_of_date is not null
                then (checks.shares_outstanding_raw - checks.shares_outstanding_raw_prev) * flows.nav
        end as shares_flow_raw_usd,
        aum_flows.aum_flow_usd,
        aum_flows.market_effect_usd as aum_market_effect_usd,
        aum_flows.distributions_usd as aum_distributions_usd,
        aum_flows.noise_usd as aum_noise_usd,
        coalesce(checks.count_flagged or checks.prev_count_flagged, false) as count_flagged,
        coalesce(checks.count_repaired or checks.prev_count_repaired, false) as count_repaired,
        {{ quality_flows_agree('flows.net_flow_usd', 'aum_flows.aum_flow_usd', 'aum_flows.noise_usd') }}
            as methods_concordant
    from flows
    left join checks_with_previous as checks
        on flows.ticker = checks.ticker
        and flows.as_of_date = checks.as_of_date
    left join aum_flows
        on flows.ticker = aum_flows.ticker
        and flows.as_of_date = aum_flows.as_of_date

),

estimated as (

    select
        compared.*,
        case
            when aum_flow_usd is null then 'shares'
            when shares_flow_usd is null then 'aum'
            when methods_concordant then 'merged'
            when count_flagged or count_repaired then 'aum'
            else 'shares'
        end as method
    from compared

),

trust_inputs as (

    -- narrow rows for the trailing windows (a window pass sorts whole rows)
    select
        ticker,
        as_of_date,
        case
            when shares_flow_usd is not null
                and (methods_concordant is null or methods_concordant)
                and not count_flagged
                then 1
            else 0
        end as is_trustworthy,
        case when flow_status <> 'first_day' then 1 else 0 end as is_scored,
        case
            when method = 'aum' then aum_flow_usd is null
            else shares_flow_usd is null
        end as has_no_estimate,
        coalesce(methods_concordant = false and method = 'shares', false) as disagrees_on_clean_count,
        count_flagged or count_repaired or method = 'aum' as is_touched,
        case when shares_source_type = 'vendor' then 1 else 0 end as vendor_drop
    from estimated

),

scored as (

    select
        trust_inputs.*,
        100.0 * cast(sum(is_trustworthy) over (
            partition by ticker order by as_of_date
            rows between {{ score_days - 1 }} preceding and current row
        ) as double) / nullif(sum(is_scored) over (
            partition by ticker order by as_of_date
            rows between {{ score_days - 1 }} preceding and current row
        ), 0) as quality_score
    from trust_inputs

),

graded as (

    select
        ticker,
        as_of_date,
        quality_score,
        least(2, vendor_drop + case
            when has_no_estimate then 2
            when disagrees_on_clean_count then 2
            when quality_score < {{ low_score }} then 2
            when is_touched then 1
            when quality_score < {{ high_score }} then 1
            else 0
        end) as severity,
        -- windows: a ticker's first day (no flow can exist) is left out, a day without a
        -- flow leaves the window incomplete (medium), not doubtful
        case
            when is_scored = 0 then null
            when has_no_estimate then 1
            else least(2, vendor_drop + case
                when disagrees_on_clean_count then 2
                when quality_score < {{ low_score }} then 2
                when is_touched then 1
                when quality_score < {{ high_score }} then 1
                else 0
            end)
        end as window_severity
    from scored

),

windowed as (

    select
        graded.*,
        max(window_severity) over (
            partition by ticker order by as_of_date rows between 4 preceding and current row
        ) as severity_5d,
        max(window_severity) over (
            partition by ticker order by as_of_date rows between 19 preceding and current row
        ) as severity_20d,
        max(window_severity) over (
            partition by ticker, {{ dbt.date_trunc('year', 'as_of_date') }} order by as_of_date
            rows between unbounded preceding and current row
        ) as severity_ytd
    from graded

),

joined as (

    select
        estimated.*,
        case when estimated.method = 'aum' then estimated.aum_flow_usd else estimated.shares_flow_usd end
            as best_estimate_flow_usd,
        windowed.quality_score,
        windowed.severity,
        windowed.severity_5d,
        windowed.severity_20d,
        windowed.severity_ytd
    from estimated
    inner join windowed
        on estimated.ticker = windowed.ticker
        and estimated.as_of_date = windowed.as_of_date

),

final as (

    select
        ----------  ids
        ticker,
        as_of_date,

        ----------  method 1: shares
        nav,
        nav_source,
        shares_source,
        shares_source_type,
        flow_status,
        shares_report_lag_days,
        shares_outstanding_raw,
        shares_outstanding,
        anomaly_reasons,
        repair_rule,
        shares_flow_usd,
        shares_flow_raw_usd,
        count_flagged,
        count_repaired,

        ----------  method 2: AUM
        aum_flow_usd,
        aum_market_effect_usd,
        aum_distributions_usd,
        aum_noise_usd,

        ----------  agreement and the best estimate
        shares_flow_usd - aum_flow_usd as method_difference_usd,
        methods_concordant,
        best_estimate_flow_usd,
        method,
        case
            when aum_start_usd > 0 then 100.0 * best_estimate_flow_usd / aum_start_usd
        end as best_estimate_flow_pct_aum,

        ----------  trust
        round(quality_score, 4) as quality_score,
        {% for column in ['severity', 'severity_5d', 'severity_20d', 'severity_ytd'] -%}
        case {{ column }} when 0 then 'high' when 1 then 'medium' when 2 then 'low' end
            as {{ column | replace('severity', 'confidence') }}{{ ',' if not loop.last }}
        {% endfor %}

    from joined
    where 1 = 1 {{ flows_date_filter('as_of_date', recompute_from) }}

)

select * from final
