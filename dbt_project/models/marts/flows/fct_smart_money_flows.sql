{#
    One row per smart-money event (ticker × trading day), as flagged in
    fct_etf_flow_windows: an institutional-size net creation or redemption (at least
    var('smart_money_min_creation_units') creation units) whose daily flow is at least
    var('smart_money_min_flow_z') standard deviations (of the daily flow % AUM) from the
    fund's trailing mean in the flow's direction, going against the trailing 5-day return. With the fund's
    forward 5- and 20-day total returns so users can judge it. A table: forward returns
    change for 20 days after each event.
#}

with

windows as (

    select * from {{ ref('fct_etf_flow_windows') }}

),

daily as (

    select * from {{ ref('fct_etf_flows_daily') }}

),

forward as (

    select
        ticker,
        as_of_date,
        is_smart_money,
        net_flow_usd,
        flow_pct_aum,
        aum_usd,
        flow_z,
        flow_mean_hist_pct_aum,
        flow_sd_hist_pct_aum,
        return_5d_pct,
        lead(return_5d_pct, 5) over (
            partition by ticker order by as_of_date
        ) as forward_return_5d_pct,
        lead(return_20d_pct, 20) over (
            partition by ticker order by as_of_date
        ) as forward_return_20d_pct
    from windows

),

events as (

    select * from forward
    where is_smart_money

),

final as (

    select
        ----------  ids
        events.ticker,
        events.as_of_date,

        ----------  the event
        case when events.net_flow_usd > 0 then 'creation' else 'redemption' end as direction,
        daily.net_creation_units,
        daily.creation_unit_size,
        daily.creation_unit_size_assumed,
        daily.shares_outstanding_change,
        events.net_flow_usd,
        events.flow_pct_aum,
        events.aum_usd,

        ----------  how unusual
        events.flow_z,
        events.flow_mean_hist_pct_aum,
        events.flow_sd_hist_pct_aum,

        ----------  against which move, and what followed
        events.return_5d_pct as return_prior_5d_pct,
        events.forward_return_5d_pct,
        events.forward_return_20d_pct,
        case when events.net_flow_usd > 0 then 1.0 else -1.0 end
            * events.forward_return_5d_pct as signed_forward_return_5d_pct,
        case when events.net_flow_usd > 0 then 1.0 else -1.0 end
            * events.forward_return_20d_pct as signed_forward_return_20d_pct

    from events
    inner join daily
        on events.ticker = daily.ticker
        and events.as_of_date = daily.as_of_date

)

select * from final
