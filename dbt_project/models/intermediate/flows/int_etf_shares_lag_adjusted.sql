{#
    One row per ticker per trading day: the day's prices and NAV with the share count at
    that day's close after correcting for the fund's share-report lag.

    T/T-1 convention. int_etf_days_aligned takes a count dated D to be the count at the
    close of D (lag 0) and aligns it as of each trading day. Some funds publish with a
    delay: a count dated D is the close of the trading day L days before D. For such a
    fund the count for day t is the aligned count L trading rows later, divided by the
    ratios of splits going ex in between (so it is in day t's share units); the last L
    days stay null until the reports arrive. L is the fund's shares_report_lag_days from
    int_shares_outstanding_checked: var('shares_report_lags') when the fund is listed
    there, else the lag int_etf_shares_lag_detected finds (0 when none). The count is
    that model's shares_outstanding_for_flows: the repaired count, or the raw one with
    var('shares_repairs_enabled') false.

    Limitation: a lagged fund's count dated on a split's ex-date is taken as post-split
    by int_etf_days_aligned; for lag 0 funds that is right.

    Incremental (a table, issue 14): as a view, every daily run of fct_etf_flows_daily
    took the lead() windows over every fund's whole history (a date filter cannot pass a
    window); now a run rebuilds the days from flows_recompute_from() less the reach of the
    longest lag (the days whose count is read from a rebuilt day).
#}

{{ config(materialized='incremental', unique_key=['ticker', 'as_of_date']) }}

{%- set max_lag = quality_max_shares_report_lag() %}
{#- a day's count is read up to max_lag trading rows later: those rows before the days
    the checks rebuilt are rebuilt too (max_lag trading days as calendar days, generously) -#}
{%- set recompute_from = flows_recompute_from(
        days_back=var('flows_lookback_days') | int + (max_lag * 7) // 5 + 10) %}

with

days as (

    -- int_etf_days_aligned with the share-count checks (models/intermediate/quality)
    select * from {{ ref('int_shares_outstanding_checked') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', recompute_from) }}

),

report_lags as (

    select
        days.*,
        shares_outstanding_for_flows as shares_outstanding
    from days

),

lag_adjusted as (

    select
        ----------  ids
        ticker,
        as_of_date,

        ----------  prices and events, as traded that day
        close,
        volume,
        dividend_per_share,
        split_ratio,

        ----------  the issuer's NAV (its dates only), the vendor's total assets (snapshot dates)
        nav,
        nav_source,
        reported_total_assets_usd,

        ----------  shares, lag-adjusted
        shares_report_lag_days,
        {%- if max_lag == 0 %}
        shares_outstanding,
        shares_as_of_date as shares_report_date,
        shares_source,
        shares_source_type,
        {%- else %}
        case shares_report_lag_days
            when 0 then shares_outstanding
            {%- for lag in range(1, max_lag + 1) %}
            when {{ lag }} then round(
                lead(shares_outstanding, {{ lag }}) over (
                    partition by ticker order by as_of_date
                )
                / exp(sum(ln(coalesce(split_ratio, 1.0))) over (
                    partition by ticker order by as_of_date
                    rows between 1 following and {{ lag }} following
                )),
                0
            )
            {%- endfor %}
        end as shares_outstanding,
        {%- for column, name in [('shares_as_of_date', 'shares_report_date'),
                                 ('shares_source', 'shares_source'),
                                 ('shares_source_type', 'shares_source_type')] %}
        {{ quality_value_at_lag(column, 'shares_report_lag_days', 'ticker', 'as_of_date', max_lag, lead=true) }}
            as {{ name }},
        {%- endfor %}
        {%- endif %}
        shares_outstanding as shares_outstanding_unadjusted

    from report_lags

)

select * from lag_adjusted
