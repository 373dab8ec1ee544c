{#
    One row per ticker, etfdb page fetch day and published window: the net flows etfdb
    publishes on the fund page beside ours (fct_etf_flows_daily summed over the same
    window), the difference and whether they agree.

    Windows end on etfdb's as-of date (the last bar of its flow chart; the page's fetch
    day when the page has no chart) and include their first day:
        5d                   the last 5 trading days (our calendar for the ticker)
        1w, 4w, 13w, 26w     the last 7, 28, 91, 182 calendar days
        1m, 3m, 6m, 1y, 3y,
        5y, 10y              [as_of - N months, as_of] (calendar months, start included:
                             the rule that reproduces etfdb's own totals)
        ytd                  from January 1 of the as-of year
    They agree when |ours - etfdb's| <= max(rel_tol x |etfdb's|, abs_tol), with
    var('flow_comparison_rel_tolerance', 0.05) and
    var('flow_comparison_abs_tolerance_usd', 1000000): etfdb prints three significant
    figures (up to 0.5 %) and prices flows its own way. A window reaching back before our
    history (and before the fund's inception) cannot be checked: status
    insufficient_history, is_agreement null.
#}

{%- set rel_tol = var('flow_comparison_rel_tolerance', 0.05) %}
{%- set abs_tol = var('flow_comparison_abs_tolerance_usd', 1000000) %}

with

published as (

    select * from {{ ref('stg_etfdb__fund_flows') }}

),

pages as (

    select * from {{ ref('stg_etfdb__fund_pages') }}

),

ours as (

    -- the compared funds' days only (the windows' day index is per fund): at 10.4M
    -- ETF-days a fund universe without etfdb pages no longer reads every day
    select
        ticker,
        as_of_date,
        net_flow_usd
    from {{ ref('fct_etf_flows_daily') }}
    where ticker in (select ticker from published)

),

our_history as (

    select
        ticker,
        min(as_of_date) as first_date
    from ours
    group by ticker

),

trading_days as (

    select
        ticker,
        as_of_date,
        row_number() over (partition by ticker order by as_of_date) as day_index
    from ours

),

windows as (

    select
        published.*,
        pages.inception_date,
        coalesce(published.flows_as_of_date, published.as_of_date) as window_end_date,
        case published.flow_window
            when '1w' then {{ dbt.dateadd('day', -6, 'coalesce(published.flows_as_of_date, published.as_of_date)') }}
            when '4w' then {{ dbt.dateadd('day', -27, 'coalesce(published.flows_as_of_date, published.as_of_date)') }}
            when '13w' then {{ dbt.dateadd('day', -90, 'coalesce(published.flows_as_of_date, published.as_of_date)') }}
            when '26w' then {{ dbt.dateadd('day', -181, 'coalesce(published.flows_as_of_date, published.as_of_date)') }}
            when '1m' then {{ dbt.dateadd('month', -1, 'coalesce(published.flows_as_of_date, published.as_of_date)') }}
            when '3m' then {{ dbt.dateadd('month', -3, 'coalesce(published.flows_as_of_date, published.as_of_date)') }}
            when '6m' then {{ dbt.dateadd('month', -6, 'coalesce(published.flows_as_of_date, published.as_of_date)') }}
            when '1y' then {{ dbt.dateadd('month', -12, 'coalesce(published.flows_as_of_date, published.as_of_date)') }}
            when '3y' then {{ dbt.dateadd('month', -36, 'coalesce(published.flows_as_of_date, published.as_of_date)') }}
            when '5y' then {{ dbt.dateadd('month', -60, 'coalesce(published.flows_as_of_date, published.as_of_date)') }}
            when '10y' then {{ dbt.dateadd('month', -120, 'coalesce(published.flows_as_of_date, published.as_of_date)') }}
            when 'ytd' then {{ dbt.date_trunc('year', 'coalesce(published.flows_as_of_date, published.as_of_date)') }}
        end as calendar_start
    from published
    left join pages
        on published.ticker = pages.ticker
        and published.as_of_date = pages.as_of_date

),

five_day_ends as (

    select
        windows.ticker,
        windows.as_of_date,
        max(trading_days.day_index) as end_index
    from windows
    inner join trading_days
        on windows.ticker = trading_days.ticker
        and trading_days.as_of_date <= windows.window_end_date
    where windows.flow_window = '5d'
    group by windows.ticker, windows.as_of_date

),

five_day_starts as (

    select
        five_day_ends.ticker,
        five_day_ends.as_of_date,
        trading_days.as_of_date as start_date
    from five_day_ends
    inner join trading_days
        on five_day_ends.ticker = trading_days.ticker
        and trading_days.day_index = five_day_ends.end_index - 4

),

bounded as (

    select
        windows.*,
        cast(
            case
                when windows.flow_window = '5d' then five_day_starts.start_date
                else windows.calendar_start
            end as date
        ) as window_start_date
    from windows
    left join five_day_starts
        on windows.ticker = five_day_starts.ticker
        and windows.as_of_date = five_day_starts.as_of_date
        and windows.flow_window = '5d'

),

computed as (

    select
        bounded.ticker,
        bounded.as_of_date,
        bounded.flow_window,
        -- to the cent: a parallel sum of doubles is not bit-for-bit reproducible
        round(sum(ours.net_flow_usd), 2) as computed_net_flow_usd,
        count(ours.as_of_date) as window_trading_days,
        count(ours.net_flow_usd) as days_with_computed_flow
    from bounded
    left join ours
        on bounded.ticker = ours.ticker
        and ours.as_of_date >= bounded.window_start_date
        and ours.as_of_date <= bounded.window_end_date
    group by bounded.ticker, bounded.as_of_date, bounded.flow_window

),

compared as (

    select
        bounded.*,
        computed.computed_net_flow_usd,
        computed.window_trading_days,
        computed.days_with_computed_flow,
        computed.computed_net_flow_usd - bounded.net_flows_usd as difference_usd,
        greatest({{ rel_tol }} * abs(bounded.net_flows_usd), {{ abs_tol }}) as tolerance_usd,
        coalesce(our_history.first_date < bounded.window_start_date, false)
            or coalesce(bounded.inception_date >= our_history.first_date, false)
            as is_history_complete
    from bounded
    inner join computed
        on bounded.ticker = computed.ticker
        and bounded.as_of_date = computed.as_of_date
        and bounded.flow_window = computed.flow_window
    left join our_history
        on bounded.ticker = our_history.ticker

),

final as (

    select

        ----------  ids
        ticker,
        as_of_date as etfdb_as_of_date,
        flow_window,

        ----------  window
        window_label,
        window_start_date,
        window_end_date,
        flows_as_of_date as etfdb_flows_as_of_date,

        ----------  the two figures
        net_flows_usd as published_net_flow_usd,
        net_flows_text as published_net_flow_text,
        computed_net_flow_usd,
        cast(window_trading_days as bigint) as window_trading_days,
        cast(days_with_computed_flow as bigint) as days_with_computed_flow,

        ----------  comparison
        difference_usd,
        case
            when net_flows_usd <> 0 then 100.0 * difference_usd / abs(net_flows_usd)
        end as difference_pct,
        tolerance_usd,
        is_history_complete,
        case
            when is_history_complete and days_with_computed_flow > 0 and net_flows_usd is not null
                then abs(difference_usd) <= tolerance_usd
        end as is_agreement,
        case
            when net_flows_usd is null then 'not_published'
            when not is_history_complete then 'insufficient_history'
            when days_with_computed_flow = 0 then 'no_computed_flows'
            when abs(difference_usd) <= tolerance_usd then 'agree'
            else 'disagree'
        end as comparison_status

    from compared

)

select * from final
