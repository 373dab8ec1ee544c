{#
    One row per ticker per trading day: trailing windows over int_etf_flows_daily,
    computed once for every flow mart. All windows are `rows between` frames over the
    ticker's trading rows ordered by date (no range self-joins).

    * Window flows: sums of net_flow_usd over the last 5 / 20 rows (null unless every
      row in the window has a flow) and since the first trading row of the calendar year
      (ytd: the sum of the known daily flows). A window's flow % of AUM divides by the
      AUM at the close before the window (aum_start_*).
    * Window returns: compounded daily total returns (close to close, distributions
      reinvested), in %, null unless every day of the window has one.
    * Z-scores: (x - mean) / sample sd over a trailing history that ends the row before,
      null with fewer than var('flows_min_observations') observations or a zero sd:
      the daily flow against var('flow_zscore_history_days') rows; the 5- and 20-day
      flow % AUM and returns against var('divergence_history_days') rows; the
      premium/discount against var('premium_zscore_history_days') rows.
    * Smart money (see the YAML): institutional-size net creations or redemptions whose
      flow z-score is extreme in the flow's direction and that go against the trailing
      5-day return.

    Incremental: rebuilds rows from flows_recompute_from() and reads enough earlier rows
    for the longest history (divergence history + 20 rows).
#}

{{
    config(
        materialized='incremental',
        unique_key=['ticker', 'as_of_date'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{%- set recompute_from = flows_recompute_from() %}
{%- set history_rows = [
    var('divergence_history_days') + 20,
    var('flow_zscore_history_days') + 1,
    var('premium_zscore_history_days') + 1,
] | max + 5 %}
{%- set input_from = flows_input_from(recompute_from, history_rows, from_year_start=true) %}
{%- set min_obs = var('flows_min_observations') %}
{%- set flow_history = var('flow_zscore_history_days') | int %}
{%- set divergence_history = var('divergence_history_days') | int %}
{%- set premium_history = var('premium_zscore_history_days') | int %}

with

daily as (

    select * from {{ ref('int_etf_flows_daily') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', input_from) }}

),

trailing_windows as (

    select
        ticker,
        as_of_date,
        {{ dbt.date_trunc('year', 'as_of_date') }} as year_start,
        net_flow_usd,
        flow_pct_aum,
        net_creation_units,
        aum_usd,
        aum_start_usd,
        premium_discount_bps,
        volume_avg_ratio_30d,
        log_return_1d,

        ----------  5 / 20 trading-day windows
        sum(net_flow_usd) over (
            partition by ticker order by as_of_date rows between 4 preceding and current row
        ) as flow_5d_sum,
        count(net_flow_usd) over (
            partition by ticker order by as_of_date rows between 4 preceding and current row
        ) as flow_5d_days,
        sum(net_flow_usd) over (
            partition by ticker order by as_of_date rows between 19 preceding and current row
        ) as flow_20d_sum,
        count(net_flow_usd) over (
            partition by ticker order by as_of_date rows between 19 preceding and current row
        ) as flow_20d_days,
        lag(aum_usd, 5) over (
            partition by ticker order by as_of_date
        ) as aum_start_5d_usd,
        lag(aum_usd, 20) over (
            partition by ticker order by as_of_date
        ) as aum_start_20d_usd,
        sum(log_return_1d) over (
            partition by ticker order by as_of_date rows between 4 preceding and current row
        ) as log_return_5d,
        count(log_return_1d) over (
            partition by ticker order by as_of_date rows between 4 preceding and current row
        ) as return_5d_days,
        sum(log_return_1d) over (
            partition by ticker order by as_of_date rows between 19 preceding and current row
        ) as log_return_20d,
        count(log_return_1d) over (
            partition by ticker order by as_of_date rows between 19 preceding and current row
        ) as return_20d_days,

        ----------  daily flow vs its trailing history (smart money)
        avg(net_flow_usd) over (
            partition by ticker order by as_of_date
            rows between {{ flow_history }} preceding and 1 preceding
        ) as flow_mean_hist,
        stddev_samp(net_flow_usd) over (
            partition by ticker order by as_of_date
            rows between {{ flow_history }} preceding and 1 preceding
        ) as flow_sd_hist,
        count(net_flow_usd) over (
            partition by ticker order by as_of_date
            rows between {{ flow_history }} preceding and 1 preceding
        ) as flow_days_hist,

        ----------  premium / discount vs its trailing history (basket arbitrage)
        avg(premium_discount_bps) over (
            partition by ticker order by as_of_date
            rows between {{ premium_history }} preceding and 1 preceding
        ) as premium_mean_hist,
        stddev_samp(premium_discount_bps) over (
            partition by ticker order by as_of_date
            rows between {{ premium_history }} preceding and 1 preceding
        ) as premium_sd_hist,
        count(premium_discount_bps) over (
            partition by ticker order by as_of_date
            rows between {{ premium_history }} preceding and 1 preceding
        ) as premium_days_hist

    from daily

),

year_to_date as (

    select
        trailing_windows.*,
        sum(net_flow_usd) over (
            partition by ticker, year_start order by as_of_date
            rows between unbounded preceding and current row
        ) as flow_ytd_usd,
        first_value(aum_start_usd) over (
            partition by ticker, year_start order by as_of_date
            rows between unbounded preceding and current row
        ) as aum_start_ytd_usd,
        sum(log_return_1d) over (
            partition by ticker, year_start order by as_of_date
            rows between unbounded preceding and current row
        ) as log_return_ytd,
        count(log_return_1d) over (
            partition by ticker, year_start order by as_of_date
            rows between unbounded preceding and current row
        ) as return_ytd_days,
        count(*) over (
            partition by ticker, year_start order by as_of_date
            rows between unbounded preceding and current row
        ) as trading_days_ytd
    from trailing_windows

),

windows as (

    select
        ticker,
        as_of_date,
        net_flow_usd,
        flow_pct_aum,
        net_creation_units,
        aum_usd,
        aum_start_usd,
        premium_discount_bps,
        volume_avg_ratio_30d,

        ----------  window flows
        case when flow_5d_days = 5 then flow_5d_sum end as flow_5d_usd,
        case when flow_20d_days = 20 then flow_20d_sum end as flow_20d_usd,
        flow_ytd_usd,
        trading_days_ytd,
        aum_start_5d_usd,
        aum_start_20d_usd,
        aum_start_ytd_usd,
        case
            when flow_5d_days = 5 and aum_start_5d_usd > 0
                then 100.0 * flow_5d_sum / aum_start_5d_usd
        end as flow_5d_pct_aum,
        case
            when flow_20d_days = 20 and aum_start_20d_usd > 0
                then 100.0 * flow_20d_sum / aum_start_20d_usd
        end as flow_20d_pct_aum,
        case
            when aum_start_ytd_usd > 0 then 100.0 * flow_ytd_usd / aum_start_ytd_usd
        end as flow_ytd_pct_aum,

        ----------  window returns
        case when log_return_1d is not null then 100.0 * (exp(log_return_1d) - 1) end as return_1d_pct,
        case when return_5d_days = 5 then 100.0 * (exp(log_return_5d) - 1) end as return_5d_pct,
        case when return_20d_days = 20 then 100.0 * (exp(log_return_20d) - 1) end as return_20d_pct,
        case when return_ytd_days > 0 then 100.0 * (exp(log_return_ytd) - 1) end as return_ytd_pct,

        ----------  daily flow z-score
        case when flow_days_hist >= {{ min_obs }} then flow_mean_hist end as flow_mean_hist_usd,
        case when flow_days_hist >= {{ min_obs }} then flow_sd_hist end as flow_sd_hist_usd,
        case
            when flow_days_hist >= {{ min_obs }} and flow_sd_hist > 0
                then (net_flow_usd - flow_mean_hist) / flow_sd_hist
        end as flow_z,

        ----------  premium / discount z-score
        case
            when premium_days_hist >= {{ min_obs }} and premium_sd_hist > 0
                then (premium_discount_bps - premium_mean_hist) / premium_sd_hist
        end as premium_z

    from year_to_date

),

window_zscores as (

    select
        windows.*,
        avg(flow_5d_pct_aum) over (
            partition by ticker order by as_of_date
            rows between {{ divergence_history }} preceding and 1 preceding
        ) as flow_5d_mean,
        stddev_samp(flow_5d_pct_aum) over (
            partition by ticker order by as_of_date
            rows between {{ divergence_history }} preceding and 1 preceding
        ) as flow_5d_sd,
        count(flow_5d_pct_aum) over (
            partition by ticker order by as_of_date
            rows between {{ divergence_history }} preceding and 1 preceding
        ) as flow_5d_obs,
        avg(flow_20d_pct_aum) over (
            partition by ticker order by as_of_date
            rows between {{ divergence_history }} preceding and 1 preceding
        ) as flow_20d_mean,
        stddev_samp(flow_20d_pct_aum) over (
            partition by ticker order by as_of_date
            rows between {{ divergence_history }} preceding and 1 preceding
        ) as flow_20d_sd,
        count(flow_20d_pct_aum) over (
            partition by ticker order by as_of_date
            rows between {{ divergence_history }} preceding and 1 preceding
        ) as flow_20d_obs,
        avg(return_5d_pct) over (
            partition by ticker order by as_of_date
            rows between {{ divergence_history }} preceding and 1 preceding
        ) as return_5d_mean,
        stddev_samp(return_5d_pct) over (
            partition by ticker order by as_of_date
            rows between {{ divergence_history }} preceding and 1 preceding
        ) as return_5d_sd,
        count(return_5d_pct) over (
            partition by ticker order by as_of_date
            rows between {{ divergence_history }} preceding and 1 preceding
        ) as return_5d_obs,
        avg(return_20d_pct) over (
            partition by ticker order by as_of_date
            rows between {{ divergence_history }} preceding and 1 preceding
        ) as return_20d_mean,
        stddev_samp(return_20d_pct) over (
            partition by ticker order by as_of_date
            rows between {{ divergence_history }} preceding and 1 preceding
        ) as return_20d_sd,
        count(return_20d_pct) over (
            partition by ticker order by as_of_date
            rows between {{ divergence_history }} preceding and 1 preceding
        ) as return_20d_obs,

        ----------  prior windows (flow momentum)
        lag(net_flow_usd, 1) over (
            partition by ticker order by as_of_date
        ) as flow_prior_1d_usd,
        lag(flow_5d_usd, 5) over (
            partition by ticker order by as_of_date
        ) as flow_prior_5d_usd,
        lag(flow_20d_usd, 20) over (
            partition by ticker order by as_of_date
        ) as flow_prior_20d_usd,

        ----------  smart money (thresholds: vars)
        coalesce(
            abs(net_creation_units) >= {{ var('smart_money_min_creation_units') }}
            and (
                (net_flow_usd > 0 and flow_z >= {{ var('smart_money_min_flow_z') }} and return_5d_pct < 0)
                or (net_flow_usd < 0 and flow_z <= -{{ var('smart_money_min_flow_z') }} and return_5d_pct > 0)
            ),
            false
        ) as is_smart_money

    from windows

),

final as (

    select
        ----------  ids
        ticker,
        as_of_date,

        ----------  the day (from int_etf_flows_daily)
        net_flow_usd,
        flow_pct_aum,
        net_creation_units,
        aum_usd,
        aum_start_usd,
        premium_discount_bps,
        volume_avg_ratio_30d,

        ----------  window flows and returns
        flow_5d_usd,
        flow_20d_usd,
        flow_ytd_usd,
        trading_days_ytd,
        aum_start_5d_usd,
        aum_start_20d_usd,
        aum_start_ytd_usd,
        flow_5d_pct_aum,
        flow_20d_pct_aum,
        flow_ytd_pct_aum,
        return_1d_pct,
        return_5d_pct,
        return_20d_pct,
        return_ytd_pct,
        flow_prior_1d_usd,
        flow_prior_5d_usd,
        flow_prior_20d_usd,

        ----------  z-scores
        flow_mean_hist_usd,
        flow_sd_hist_usd,
        flow_z,
        case
            when flow_5d_obs >= {{ min_obs }} and flow_5d_sd > 0
                then (flow_5d_pct_aum - flow_5d_mean) / flow_5d_sd
        end as flow_z_5d,
        case
            when return_5d_obs >= {{ min_obs }} and return_5d_sd > 0
                then (return_5d_pct - return_5d_mean) / return_5d_sd
        end as return_z_5d,
        case
            when flow_20d_obs >= {{ min_obs }} and flow_20d_sd > 0
                then (flow_20d_pct_aum - flow_20d_mean) / flow_20d_sd
        end as flow_z_20d,
        case
            when return_20d_obs >= {{ min_obs }} and return_20d_sd > 0
                then (return_20d_pct - return_20d_mean) / return_20d_sd
        end as return_z_20d,
        premium_z,

        ----------  smart money
        is_smart_money,
        case when is_smart_money then net_flow_usd else 0.0 end as smart_money_flow_usd

    from window_zscores

),

smart_money_windows as (

    select
        final.*,
        sum(smart_money_flow_usd) over (
            partition by ticker order by as_of_date rows between 4 preceding and current row
        ) as smart_money_flow_5d_usd,
        sum(smart_money_flow_usd) over (
            partition by ticker order by as_of_date rows between 19 preceding and current row
        ) as smart_money_flow_20d_usd
    from final

)

select * from smart_money_windows
where 1 = 1 {{ flows_date_filter('as_of_date', recompute_from) }}
