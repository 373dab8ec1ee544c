{#
    flows_basket_flows(members): aggregate fund windows into baskets. `members` is a
    relation or CTE with one row per fund per day per flow window (the columns of
    flows_unpivot_windows) plus `basket`; returns one row per basket, day and
    window with:

        net_flow_usd          sum of member window flows
        num_etfs              members with a known window flow
        avg_flow_pct_aum      plain mean of member window flow % AUM
        aum_weighted_flow_pct 100 * net flow / sum of member AUM at the window's start
        smart_money_flow_usd  sum of member flows on smart-money event days in the window
        price_momentum_pct    start-AUM-weighted mean of member window total returns
        prior_net_flow_usd    the same members' flow over the preceding window
        flow_momentum_usd     this window's flow minus the preceding window's, over
                              members with both
        aum_usd               sum of member AUM at the day's close

    Sums are rounded to cents and ratios to 1e-6 so parallel aggregation is
    deterministic.
#}
{% macro flows_basket_flows(members) %}
    select
        basket,
        as_of_date,
        flow_window,
        round(sum(flow_usd), 2) as net_flow_usd,
        count(*) as num_etfs,
        round(avg(flow_pct_aum), 6) as avg_flow_pct_aum,
        round(
            100.0 * sum(case when aum_start_usd > 0 then flow_usd end)
            / nullif(sum(case when aum_start_usd > 0 then aum_start_usd end), 0),
            6
        ) as aum_weighted_flow_pct,
        round(sum(smart_money_flow_usd), 2) as smart_money_flow_usd,
        round(
            sum(case when aum_start_usd > 0 and return_pct is not null then return_pct * aum_start_usd end)
            / nullif(sum(case when aum_start_usd > 0 and return_pct is not null then aum_start_usd end), 0),
            6
        ) as price_momentum_pct,
        round(sum(flow_prior_usd), 2) as prior_net_flow_usd,
        round(sum(case when flow_prior_usd is not null then flow_usd - flow_prior_usd end), 2)
            as flow_momentum_usd,
        round(sum(aum_usd), 2) as aum_usd
    from {{ members }}
    where flow_window in ('1d', '5d', '20d')
    group by basket, as_of_date, flow_window
{% endmacro %}
