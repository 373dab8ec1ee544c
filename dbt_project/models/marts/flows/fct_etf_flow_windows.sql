{#
    One row per ticker per trading day: trailing windows over fct_etf_flows_daily,
    computed once for every downstream flow mart. All windows are `rows between`
    frames over the ticker's trading rows ordered by date (no range self-joins), in two
    passes: the trailing windows and histories, then what needs their results (prior
    windows, smart-money sums) and the year-to-date partition.

    * Window flows: sums of net_flow_usd over the last 5 / 20 rows (null unless every
      row has a flow) and since the ticker's first row of the calendar year (ytd: the
      known daily flows). A window's flow % of AUM divides by the AUM at the close before
      the window.
    * Window returns: daily total returns compounded over the window (null unless every
      day has one).
    * Z-scores against a history of the previous var('flow_zscore_history_days') rows
      (null with fewer than var('flows_min_observations') observations or a zero sd):
      the daily flow % AUM against its mean m and sd s; an n-day window flow % AUM
      against n*m and s*sqrt(n); an n-day log total return likewise against the daily log
      returns' mean and sd (independent days: means add, variances add). (The
      premium/discount z-score lives in fct_basket_arbitrage, over NAV days only.)
    * Smart money: see the YAML (is_smart_money).

    Incremental: rebuilds rows from flows_recompute_from() and reads enough earlier rows
    for the longest history and window, and from 1 January for the ytd figures.

    Performance (issue 14; 2.6M ETF-days, 1,000 synthetic funds, the statement alone into
    a temporary table, process CPU at load 10-16, cumulative by CTE): reading the daily
    rows 1.2 s, the first pass (17 windows, one sort by ticker) 8.5 s, z-scores and flags
    9.6 s, the second pass (prior windows and smart money by ticker, year-to-date by
    ticker and year: two sorts of the wide rows) 18.2 s; writing the table adds ~6.5 s.
    Tried, measured interleaved (two runs each), not kept: the second pass on narrow rows
    joined back (18.6 and 19.2 s against 16.4 and 17.0 s); the year-to-date totals on
    the narrow daily rows before the first pass (16.8 and 17.3 s against 18.0 and
    17.3 s: within the noise); year-to-date as a variable RANGE frame in the ticker partition
    (its four windows 4.9 s against 2.4 s as a partition of their own, and its sums
    change in their last bits). The second pass cannot fold into the first: smart money
    needs each day's z-score and 5-day return, themselves windows.
#}

{{ config(materialized='incremental', unique_key=['ticker', 'as_of_date']) }}

{%- set recompute_from = flows_recompute_from() %}
{%- set flow_history = var('flow_zscore_history_days') | int %}
{%- set history_rows = flow_history + 25 %}
{%- set input_from = flows_input_from(recompute_from, history_rows, from_year_start=true) %}
{%- set min_obs = var('flows_min_observations') %}
{%- set min_units = var('smart_money_min_creation_units') %}
{%- set min_z = var('smart_money_min_flow_z') %}

with

daily as (

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
        case
            when total_return_1d_pct > -100 then ln(1 + total_return_1d_pct / 100.0)
        end as log_return_1d
    from {{ ref('fct_etf_flows_daily') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', input_from) }}

),

trailing_windows as (

    select
        daily.*,

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
        lag(net_flow_usd) over (
            partition by ticker order by as_of_date
        ) as flow_prior_1d_usd,

        ----------  histories (ending the row before)
        avg(flow_pct_aum) over (
            partition by ticker order by as_of_date
            rows between {{ flow_history }} preceding and 1 preceding
        ) as flow_hist_mean,
        stddev_samp(flow_pct_aum) over (
            partition by ticker order by as_of_date
            rows between {{ flow_history }} preceding and 1 preceding
        ) as flow_hist_sd,
        count(flow_pct_aum) over (
            partition by ticker order by as_of_date
            rows between {{ flow_history }} preceding and 1 preceding
        ) as flow_hist_days,
        avg(log_return_1d) over (
            partition by ticker order by as_of_date
            rows between {{ flow_history }} preceding and 1 preceding
        ) as return_hist_mean,
        stddev_samp(log_return_1d) over (
            partition by ticker order by as_of_date
            rows between {{ flow_history }} preceding and 1 preceding
        ) as return_hist_sd,
        count(log_return_1d) over (
            partition by ticker order by as_of_date
            rows between {{ flow_history }} preceding and 1 preceding
        ) as return_hist_days

    from daily

),

windows as (

    select
        ticker,
        as_of_date,
        year_start,
        net_flow_usd,
        flow_pct_aum,
        net_creation_units,
        aum_usd,
        aum_start_usd,
        premium_discount_bps,
        volume_avg_ratio_30d,
        log_return_1d,
        flow_prior_1d_usd,
        aum_start_5d_usd,
        aum_start_20d_usd,
        case when flow_5d_days = 5 then flow_5d_sum end as flow_5d_usd,
        case when flow_20d_days = 20 then flow_20d_sum end as flow_20d_usd,
        case
            when flow_5d_days = 5 and aum_start_5d_usd > 0
                then 100.0 * flow_5d_sum / aum_start_5d_usd
        end as flow_5d_pct_aum,
        case
            when flow_20d_days = 20 and aum_start_20d_usd > 0
                then 100.0 * flow_20d_sum / aum_start_20d_usd
        end as flow_20d_pct_aum,
        case when return_5d_days = 5 then log_return_5d end as log_return_5d,
        case when return_20d_days = 20 then log_return_20d end as log_return_20d,
        case when flow_hist_days >= {{ min_obs }} and flow_hist_sd > 0 then flow_hist_mean end
            as flow_mean_hist_pct_aum,
        case when flow_hist_days >= {{ min_obs }} and flow_hist_sd > 0 then flow_hist_sd end
            as flow_sd_hist_pct_aum,
        case when return_hist_days >= {{ min_obs }} and return_hist_sd > 0 then return_hist_mean end
            as return_hist_mean,
        case when return_hist_days >= {{ min_obs }} and return_hist_sd > 0 then return_hist_sd end
            as return_hist_sd
    from trailing_windows

),

zscores as (

    select
        windows.*,
        (flow_pct_aum - flow_mean_hist_pct_aum) / flow_sd_hist_pct_aum as flow_z,
        (flow_5d_pct_aum - 5 * flow_mean_hist_pct_aum) / (flow_sd_hist_pct_aum * sqrt(5))
            as flow_z_5d,
        (flow_20d_pct_aum - 20 * flow_mean_hist_pct_aum) / (flow_sd_hist_pct_aum * sqrt(20))
            as flow_z_20d,
        (log_return_5d - 5 * return_hist_mean) / (return_hist_sd * sqrt(5)) as return_z_5d,
        100.0 * (exp(log_return_5d) - 1) as return_5d_pct,
        (log_return_20d - 20 * return_hist_mean) / (return_hist_sd * sqrt(20)) as return_z_20d
    from windows

),

flagged as (

    select
        zscores.*,
        coalesce(
            abs(net_creation_units) >= {{ min_units }}
            and (
                (net_flow_usd > 0 and flow_z >= {{ min_z }} and return_5d_pct < 0)
                or (net_flow_usd < 0 and flow_z <= -{{ min_z }} and return_5d_pct > 0)
            ),
            false
        ) as is_smart_money
    from zscores

),

second_pass as (

    select
        flagged.*,
        lag(flow_5d_usd, 5) over (
            partition by ticker order by as_of_date
        ) as flow_prior_5d_usd,
        lag(flow_20d_usd, 20) over (
            partition by ticker order by as_of_date
        ) as flow_prior_20d_usd,
        sum(case when is_smart_money then net_flow_usd else 0.0 end) over (
            partition by ticker order by as_of_date rows between 4 preceding and current row
        ) as smart_money_flow_5d_usd,
        sum(case when is_smart_money then net_flow_usd else 0.0 end) over (
            partition by ticker order by as_of_date rows between 19 preceding and current row
        ) as smart_money_flow_20d_usd,
        -- running totals: the default frame (to the current row; dates are unique per
        -- ticker) is the cheapest to evaluate
        sum(net_flow_usd) over (
            partition by ticker, year_start order by as_of_date
        ) as flow_ytd_usd,
        row_number() over (
            partition by ticker, year_start order by as_of_date
        ) as trading_days_ytd,
        first_value(aum_start_usd) over (
            partition by ticker, year_start order by as_of_date
        ) as aum_start_ytd_usd,
        sum(log_return_1d) over (
            partition by ticker, year_start order by as_of_date
        ) as log_return_ytd
    from flagged

),

final as (

    select
        ----------  ids
        ticker,
        as_of_date,

        ----------  the day (fct_etf_flows_daily)
        net_flow_usd,
        flow_pct_aum,
        net_creation_units,
        aum_usd,
        aum_start_usd,
        premium_discount_bps,
        volume_avg_ratio_30d,

        ----------  window flows
        flow_5d_usd,
        flow_20d_usd,
        flow_ytd_usd,
        cast(trading_days_ytd as bigint) as trading_days_ytd,
        aum_start_5d_usd,
        aum_start_20d_usd,
        aum_start_ytd_usd,
        flow_5d_pct_aum,
        flow_20d_pct_aum,
        case when aum_start_ytd_usd > 0 then 100.0 * flow_ytd_usd / aum_start_ytd_usd end
            as flow_ytd_pct_aum,
        flow_prior_1d_usd,
        flow_prior_5d_usd,
        flow_prior_20d_usd,

        ----------  window returns (total, %)
        100.0 * (exp(log_return_1d) - 1) as return_1d_pct,
        return_5d_pct,
        100.0 * (exp(log_return_20d) - 1) as return_20d_pct,
        100.0 * (exp(log_return_ytd) - 1) as return_ytd_pct,

        ----------  z-scores
        flow_mean_hist_pct_aum,
        flow_sd_hist_pct_aum,
        flow_z,
        flow_z_5d,
        flow_z_20d,
        return_z_5d,
        return_z_20d,

        ----------  smart money
        is_smart_money,
        case when is_smart_money then net_flow_usd else 0.0 end as smart_money_flow_usd,
        smart_money_flow_5d_usd,
        smart_money_flow_20d_usd

    from second_pass
    where 1 = 1 {{ flows_date_filter('as_of_date', recompute_from) }}

)

select * from final
