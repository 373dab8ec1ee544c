{#
    One row per ticker per trading day on which total assets are reported for that day
    and the previous trading row (Yahoo snapshot days: the demo has them for its last 60
    trading days only): the AUM-based flow, an estimate that never reads a share count.
    N is the issuer's NAV where there is one, else the close (nav_source): there is no
    vendor NAV (Yahoo's navPrice is the previous close).

    With A = reported total net assets, N = NAV per share (ex-distribution), D = the
    distribution per share going ex on t and r = the split ratio going ex on t (1 when
    none), the previous NAV in today's units is N' = N[t-1] / r and

        market_effect_usd  = A[t-1] * ((N + D) / N' - 1)       total return on the assets held
        distributions_usd  = -(A[t-1] / N') * D                 paid out on the ex-date
        aum_flow_usd       = A - A[t-1] - market_effect_usd - distributions_usd
                           = A - A[t-1] * N / N'

    i.e. AUM_t - AUM_{t-1} x NAV_t / NAV_{t-1}, adjusted for distributions: with a
    total-return NAV ratio the distribution is added back as its own component, so a
    distribution is never a redemption. implied_shares_prev = A[t-1] / N' is the share
    count total assets imply (today's units).

    noise_usd bounds what rounding alone can put into the estimate: NAVs published to
    var('nav_precision_usd') (each within half of it) move A[t-1] * N / N' by at most
    implied_shares_prev x nav_precision_usd, and total assets rounded to
    var('total_assets_precision_usd') add that much twice. With the close for N the
    premium's day-to-day move adds A[t-1] x var('aum_flow_close_noise_bps') (by asset
    class). Two estimates closer than that (plus a relative tolerance,
    quality_flows_agree) agree.

    Frozen total assets: a vendor sometimes repeats one total-assets figure for weeks.
    A day whose total assets equal the previous row's to the dollar, or follow such a
    day, has no AUM-based flow (a real fund's net assets never sit still across a
    trading day, and the first day after a freeze would book the whole stretch).

    Incremental: rebuilds the days from flows_recompute_from(), reading two trading rows
    before them.
#}

{{ config(materialized='incremental', unique_key=['ticker', 'as_of_date']) }}

{%- set nav_precision = var('nav_precision_usd') | float %}
{%- set assets_precision = var('total_assets_precision_usd') | float %}
{%- set recompute_from = flows_recompute_from() %}
{%- set input_from = flows_input_from(recompute_from, history_rows=2) %}

with

days as (

    select * from {{ ref('int_etf_days_aligned') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', input_from) }}

),

funds as (

    select * from {{ ref('etf_universe') }}

),

priced as (

    select
        days.ticker,
        days.as_of_date,
        coalesce(days.nav, days.close) as nav,
        coalesce(days.nav_source, 'close') as nav_source,
        {{ bps_by_asset_class('funds.asset_class', var('aum_flow_close_noise_bps'),
                              var('aum_flow_default_close_noise_bps')) }} as close_noise_bps,
        days.reported_total_assets_usd,
        days.dividend_per_share,
        days.split_ratio
    from days
    left join funds
        on days.ticker = funds.ticker

),

with_previous as (

    select
        ticker,
        as_of_date,
        nav,
        nav_source,
        close_noise_bps,
        reported_total_assets_usd,
        coalesce(dividend_per_share, 0) as dividend_per_share,
        coalesce(split_ratio, 1.0) as split_factor,
        lag(as_of_date) over (partition by ticker order by as_of_date) as prev_as_of_date,
        lag(nav) over (partition by ticker order by as_of_date) as prev_nav_reported,
        lag(nav_source) over (partition by ticker order by as_of_date) as prev_nav_source,
        lag(reported_total_assets_usd) over (
            partition by ticker order by as_of_date
        ) as prev_total_assets_usd,
        lag(reported_total_assets_usd, 2) over (
            partition by ticker order by as_of_date
        ) as prev2_total_assets_usd
    from priced

),

measurable as (

    select
        with_previous.*,
        prev_nav_reported / split_factor as prev_nav,
        prev_total_assets_usd / (prev_nav_reported / split_factor) as implied_shares_prev
    from with_previous
    where
        nav > 0
        and prev_nav_reported > 0
        and nav_source = prev_nav_source
        and reported_total_assets_usd is not null
        and prev_total_assets_usd is not null
        and reported_total_assets_usd <> prev_total_assets_usd
        and prev_total_assets_usd is distinct from prev2_total_assets_usd

),

final as (

    select
        ----------  ids
        ticker,
        as_of_date,
        prev_as_of_date,

        ----------  inputs (today's units)
        nav,
        nav_source,
        prev_nav,
        dividend_per_share,
        reported_total_assets_usd as total_assets_usd,
        prev_total_assets_usd,
        implied_shares_prev,

        ----------  the decomposition
        prev_total_assets_usd * ((nav + dividend_per_share) / prev_nav - 1.0) as market_effect_usd,
        0.0 - implied_shares_prev * dividend_per_share as distributions_usd,
        reported_total_assets_usd - prev_total_assets_usd * nav / prev_nav as aum_flow_usd,

        ----------  precision
        implied_shares_prev * {{ nav_precision }} + 2.0 * {{ assets_precision }}
            + case
                when nav_source = 'close' then prev_total_assets_usd * close_noise_bps / 10000.0
                else 0.0
            end as noise_usd

    from measurable
    where 1 = 1 {{ flows_date_filter('as_of_date', recompute_from) }}

)

select * from final
