{#
    One row per ticker per trading day (int_etf_days_aligned's grain): what every
    share-count check reads, narrow. The fund's lag (int_etf_shares_lag_detected) and
    creation unit (int_etf_creation_units_inferred) are attached; the day's values the
    count describes (the report day shifted back by the lag) are looked up; and the count
    is normalized, n = count / cumulative split factor of the day it describes, so splits
    are not jumps. A report day is a trading day on which a new report takes effect; the
    other days carry it.

    The three check families read this: int_shares_checks_episodes (spike, scale and
    split episodes on report days), int_shares_checks_unit_multiples and
    int_shares_checks_stale_runs; int_shares_outstanding_checked combines their flags.

    Incremental (macros/quality/quality_incremental.sql): the days from
    flows_recompute_from() are rebuilt, reading var('shares_lag_max_days') + 1 trading
    days before them for the lag lookups. A fund's state is its last row before the days
    read: the cumulative split factor goes on from there. A fund without such a row, or
    whose lag or creation unit (or their source) is not the one that row was built with,
    is rebuilt whole (every normalized count depends on them).

    Performance (issue 14): this was the first third of int_shares_outstanding_checked,
    where its window passes ran over the joined day rows every run; here they run once
    per day, over the narrow rows, and the three families read the result.
#}

{{ config(materialized='incremental', unique_key=['ticker', 'as_of_date']) }}

{%- set max_lag = quality_max_shares_report_lag() %}
{%- set default_unit = var('default_creation_unit_size') | int %}
{%- set recompute_from = flows_recompute_from() %}
{%- set input_from = flows_input_from(recompute_from, history_rows=max_lag + 1) %}

with

all_days as (

    select
        ticker,
        as_of_date,
        split_ratio,
        shares_outstanding,
        shares_as_of_date
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

{% if recompute_from is not none -%}
state_dates as (

    select ticker, max(as_of_date) as as_of_date
    from {{ this }}
    where
        as_of_date < cast('{{ input_from }}' as date)
        and as_of_date >= cast('{{ quality_days_before(input_from, 45) }}' as date)
    group by ticker

),

continued as (

    -- each fund's state: its last row before the days read, where the cumulative split
    -- factor goes on, if that row was built with the fund's current lag and creation unit
    select
        state.ticker,
        state.cumulative_split_factor
    from {{ this }} as state
    inner join state_dates
        on state.ticker = state_dates.ticker
        and state.as_of_date = state_dates.as_of_date
    left join lags
        on state.ticker = lags.ticker
    left join units
        on state.ticker = units.ticker
    where
        state.shares_report_lag_days = coalesce(lags.shares_report_lag_days, 0)
        and state.lag_source = coalesce(lags.lag_source, 'default')
        and coalesce(state.creation_unit_size, -1) = coalesce(units.creation_unit_size, -1)
        and state.creation_unit_size_source = coalesce(units.creation_unit_size_source, 'unknown')

),

days as (

    select
        all_days.*,
        coalesce(continued.cumulative_split_factor, 1.0) as split_factor_before,
        continued.ticker is null as is_rebuilt_whole
    from all_days
    left join continued
        on all_days.ticker = continued.ticker
    where continued.ticker is null or all_days.as_of_date >= cast('{{ input_from }}' as date)

),
{%- else -%}
days as (

    select all_days.*, 1.0 as split_factor_before, true as is_rebuilt_whole
    from all_days

),
{%- endif %}

sequenced as (

    select
        days.ticker,
        days.as_of_date,
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
        days.is_rebuilt_whole,
        days.split_factor_before * exp(sum(ln(coalesce(days.split_ratio, 1.0))) over (
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

final as (

    select
        ----------  ids
        ticker,
        as_of_date,

        ----------  the count
        shares_outstanding,
        shares_as_of_date,
        is_report_day,
        cumulative_split_factor,
        effective_split_factor,
        shares_outstanding / effective_split_factor as shares_normalized,

        ----------  fund context
        shares_report_lag_days,
        lag_source,
        creation_unit_size,
        creation_unit_size_source,
        unit_for_sizes,

        ----------  total assets on the day the count describes
        effective_aum_flow_usd,
        effective_aum_noise_usd,
        effective_nav,

        ----------  the run that wrote the row (the families rebuild what it rewrote)
        {{ quality_run_started_at() }} as dbt_run_started_at

    from effective
    {%- if recompute_from is not none %}
    where is_rebuilt_whole or as_of_date >= cast('{{ recompute_from }}' as date)
    {%- endif %}

)

select * from final
