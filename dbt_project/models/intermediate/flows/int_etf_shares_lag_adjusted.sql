{#
    One row per ticker per trading day: the day's prices and NAV with the share count at
    that day's close after correcting for the fund's share-report lag.

    T/T-1 convention. int_etf_days_aligned takes a count dated D to be the count at the
    close of D (lag 0) and aligns it as of each trading day. Some funds publish with a
    delay: a count dated D is the close of the trading day L days before D. For such a
    fund the count for day t is the aligned count L trading rows later, divided by the
    ratios of splits going ex in between (so it is in day t's share units); the last L
    days stay null until the reports arrive. L comes from var('shares_report_lags')
    (flows_shares_report_lag) and is 0 for every fund not listed; a later lag detector
    only has to supply the lag per fund here.

    Limitation: a lagged fund's count dated on a split's ex-date is taken as post-split
    by int_etf_days_aligned; for lag 0 funds that is right.
#}

{%- set max_lag = (flows_shares_report_lags().values() | list + [0]) | max %}

with

days as (

    select * from {{ ref('int_etf_days_aligned') }}

),

report_lags as (

    select
        days.*,
        {{ flows_shares_report_lag('ticker') }} as shares_report_lag_days
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

        ----------  snapshot values (snapshot dates only)
        nav,
        reported_total_assets_usd,

        ----------  shares, lag-adjusted
        shares_report_lag_days,
        {%- if max_lag == 0 %}
        shares_outstanding,
        shares_as_of_date as shares_report_date,
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
        case shares_report_lag_days
            when 0 then shares_as_of_date
            {%- for lag in range(1, max_lag + 1) %}
            when {{ lag }} then lead(shares_as_of_date, {{ lag }}) over (
                partition by ticker order by as_of_date
            )
            {%- endfor %}
        end as shares_report_date,
        {%- endif %}
        shares_outstanding as shares_outstanding_unadjusted,
        shares_source

    from report_lags

)

select * from lag_adjusted
