{#
    The runs of unchanged counts, and on reports flagged stale (is_stale; the days
    carrying the report carry the verdict, by shares_as_of_date) the repair. Stale: the count has not changed for at least
    var('shares_stale_min_days') trading days after the day it was set, while total
    assets show a flow of at least one creation unit beyond the noise on at least
    var('shares_stale_min_aum_flow_days') of them. Flagged from the first such day to the
    end of the run. Repair: the count at the start of the run plus the creation units the
    AUM-based flows imply (round(aum_flow / (NAV x unit))), day by day.

    Only days with an AUM-based flow are examined (a run that began before them counts
    from the first such day); days in an episode (int_shares_checks_episodes) count for
    neither the run's length nor its flows.

    One row per trading day (int_shares_outstanding_normalized's grain), so a rebuild
    rewrites every key it covers. Incremental (macros/quality/quality_incremental.sql):
    each day with an AUM-based flow keeps its run's start (run_start_date), so a fund's
    open run, the one holding its last such day before the first day its normalized
    counts or episodes were rewritten, is this model's state: the rebuild starts at that
    run's start (a run's verdict and repair depend on the whole run) and reads nothing
    before it. A fund without such a day before has no open run: it is rebuilt from its
    first rewritten day. (Until issue 14 such a fund, e.g. one with no total assets, was
    rebuilt whole every day, and int_shares_outstanding_checked with it: 10.4M rows each
    on the bench's daily run, 37 s + 76 s at load 16.)
#}

{{ config(materialized='incremental', unique_key=['ticker', 'as_of_date']) }}

{%- set stale_days = var('shares_stale_min_days') | int %}
{%- set stale_aum_days = var('shares_stale_min_aum_flow_days') | int %}

{#- a full build when the model is new, empty or --full-refresh #}
{%- set incremental = flows_recompute_from() is not none %}

with

normalized as (

    select * from {{ ref('int_shares_outstanding_normalized') }}

),

episodes as (

    select ticker, shares_as_of_date, episode_kind from {{ ref('int_shares_checks_episodes') }}
    where episode_kind is not null

),

{% if incremental -%}
rewritten as (

    {{ quality_rewritten_from([ref('int_shares_outstanding_normalized'),
                               ref('int_shares_checks_episodes')]) }}

),

state_dates as (

    -- each rewritten fund's last day in a run before the first day rewritten
    select
        previous.ticker,
        max(previous.as_of_date) as as_of_date
    from {{ this }} as previous
    inner join rewritten
        on previous.ticker = rewritten.ticker
    where
        previous.run_start_date is not null
        and previous.as_of_date < rewritten.rewritten_from
    group by previous.ticker

),

bounds as (

    -- the fund's state: the run open on that day, rebuilt from its start (a run's verdict
    -- and repair depend on all of it); no such day (no AUM-based flow before): no run is
    -- open, and the days before the first one rewritten have no verdict to change
    select
        rewritten.ticker,
        coalesce(previous.run_start_date, rewritten.rewritten_from) as write_from
    from rewritten
    left join state_dates
        on rewritten.ticker = state_dates.ticker
    left join {{ this }} as previous
        on state_dates.ticker = previous.ticker
        and state_dates.as_of_date = previous.as_of_date

),
{%- endif %}

days as (

    {{ quality_window_days(incremental, 'bounds.write_from') }}

),

aum_days as (

    select
        days.ticker,
        days.as_of_date,
        days.is_report_day,
        days.shares_as_of_date,
        days.shares_normalized,
        days.effective_split_factor,
        days.unit_for_sizes,
        episodes.episode_kind,
        case
            when abs(days.effective_aum_flow_usd) > days.effective_aum_noise_usd
                and days.effective_nav > 0
                then round(days.effective_aum_flow_usd / (days.effective_nav * days.unit_for_sizes), 0)
            else 0
        end as aum_implied_units
    from days
    left join episodes
        on days.ticker = episodes.ticker
        and days.shares_as_of_date = episodes.shares_as_of_date
    where days.effective_aum_flow_usd is not null

),

runs as (

    -- a run starts where the normalized count moves
    select
        aum_days.*,
        case
            when shares_normalized is not null
                and abs(
                    shares_normalized
                    - lag(shares_normalized) over (partition by ticker order by as_of_date)
                ) * effective_split_factor < 0.5
                then 0
            else 1
        end as starts_run
    from aum_days

),

numbered as (

    select
        runs.*,
        sum(starts_run) over (
            partition by ticker order by as_of_date
            rows between unbounded preceding and current row
        ) as run_number
    from runs

),

accumulated as (

    -- creation units total assets imply since the run's first day (normalized shares)
    select
        numbered.*,
        sum(
            case
                when starts_run = 0 then aum_implied_units * unit_for_sizes / effective_split_factor
                else 0
            end
        ) over (
            partition by ticker, run_number order by as_of_date
            rows between unbounded preceding and current row
        ) as cumulative_aum_implied_change
    from numbered

),

run_stats as (

    -- episode days count for neither the run's length nor its flows
    select
        ticker,
        run_number,
        min(as_of_date) as run_start_date,
        count(case when episode_kind is null then 1 end) - 1 as unchanged_days,
        count(case when episode_kind is null and starts_run = 0 and aum_implied_units <> 0 then 1 end)
            as aum_flow_days,
        min(case when episode_kind is null and starts_run = 0 and aum_implied_units <> 0 then as_of_date end)
            as first_aum_flow_date,
        min(case when episode_kind is null and starts_run = 1 then shares_normalized end)
            as run_start_normalized
    from numbered
    group by ticker, run_number

),

verdicts as (

    -- stale report days; days carrying a report carry its verdict and repair, so a
    -- carried count stays no flow (the units of carried days land on the next report)
    select
        accumulated.ticker,
        accumulated.as_of_date,
        run_stats.run_start_date,
        accumulated.cumulative_aum_implied_change,
        coalesce(
            accumulated.is_report_day
            and accumulated.episode_kind is null
            and accumulated.starts_run = 0
            and run_stats.unchanged_days >= {{ stale_days }}
            and run_stats.aum_flow_days >= {{ stale_aum_days }}
            and accumulated.as_of_date >= run_stats.first_aum_flow_date
            and abs(accumulated.cumulative_aum_implied_change) * accumulated.effective_split_factor >= 0.5,
            false
        ) as is_stale,
        run_stats.run_start_normalized + accumulated.cumulative_aum_implied_change
            as stale_repaired_normalized
    from accumulated
    inner join run_stats
        on accumulated.ticker = run_stats.ticker
        and accumulated.run_number = run_stats.run_number

),

final as (

    select
        ----------  ids
        days.ticker,
        days.as_of_date,
        days.shares_as_of_date,

        ----------  the run (null without an AUM-based flow; the state a rebuild starts from)
        verdicts.run_start_date,
        verdicts.cumulative_aum_implied_change as aum_implied_normalized_change,

        ----------  verdict and repair (normalized shares: carried days multiply by their own split factor)
        coalesce(verdicts.is_stale, false) as is_stale,
        case when verdicts.is_stale then verdicts.stale_repaired_normalized end
            as stale_repaired_normalized,

        ----------  the run that wrote the row (macros/quality/quality_incremental.sql)
        {{ quality_run_started_at() }} as dbt_run_started_at

    from days
    left join verdicts
        on days.ticker = verdicts.ticker
        and days.as_of_date = verdicts.as_of_date

)

select * from final
