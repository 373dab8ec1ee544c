{#
    One row per ticker per report flagged stale (keyed by the report's shares_as_of_date:
    the days carrying it carry the verdict): the count has not changed for at least
    var('shares_stale_min_days') trading days after the day it was set, while total
    assets show a flow of at least one creation unit beyond the noise on at least
    var('shares_stale_min_aum_flow_days') of them. Flagged from the first such day to the
    end of the run. Repair: the count at the start of the run plus the creation units the
    AUM-based flows imply (round(aum_flow / (NAV x unit))), day by day.

    Only days with an AUM-based flow are examined (a run that began before them counts
    from the first such day); days in an episode (int_shares_checks_episodes) count for
    neither the run's length nor its flows.
#}

{{ config(materialized='table') }}

{%- set stale_days = var('shares_stale_min_days') | int %}
{%- set stale_aum_days = var('shares_stale_min_aum_flow_days') | int %}

with

days as (

    select * from {{ ref('int_shares_outstanding_normalized') }}
    where effective_aum_flow_usd is not null

),

episodes as (

    select ticker, shares_as_of_date, episode_kind from {{ ref('int_shares_checks_episodes') }}

),

aum_days as (

    select
        days.ticker,
        days.as_of_date,
        days.day_number,
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

    select
        ticker,
        run_number,
        count(*) - 1 as unchanged_days,
        sum(case when starts_run = 0 and aum_implied_units <> 0 then 1 else 0 end) as aum_flow_days,
        min(case when starts_run = 0 and aum_implied_units <> 0 then day_number end) as first_aum_flow_day,
        min(case when starts_run = 1 then shares_normalized end) as run_start_normalized
    from numbered
    where episode_kind is null
    group by ticker, run_number

),

final as (

    -- stale report days; days carrying a report carry its verdict and repair, so a
    -- carried count stays no flow (the units of carried days land on the next report)
    select
        ----------  ids
        accumulated.ticker,
        accumulated.shares_as_of_date,

        ----------  repair (normalized shares: carried days multiply by their own split factor)
        run_stats.run_start_normalized + accumulated.cumulative_aum_implied_change
            as stale_repaired_normalized,
        accumulated.cumulative_aum_implied_change as aum_implied_normalized_change

    from accumulated
    inner join run_stats
        on accumulated.ticker = run_stats.ticker
        and accumulated.run_number = run_stats.run_number
    where
        accumulated.is_report_day
        and accumulated.episode_kind is null
        and accumulated.starts_run = 0
        and run_stats.unchanged_days >= {{ stale_days }}
        and run_stats.aum_flow_days >= {{ stale_aum_days }}
        and accumulated.day_number >= run_stats.first_aum_flow_day
        and abs(accumulated.cumulative_aum_implied_change) * accumulated.effective_split_factor >= 0.5

)

select * from final
