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

    Sums are exact (flows_exact_sum: values to 1e-4 USD, added as integers) and ratios
    rounded to 1e-6, so parallel aggregation gives the same numbers on every run.
#}
{% macro flows_basket_flows(members) %}
    select
        basket,
        as_of_date,
        flow_window,
        {{ flows_exact_sum('flow_usd') }} as net_flow_usd,
        count(*) as num_etfs,
        round({{ flows_exact_sum('flow_pct_aum', 9) }} / count(flow_pct_aum), 6) as avg_flow_pct_aum,
        round(
            100.0 * {{ flows_exact_sum('case when aum_start_usd > 0 then flow_usd end') }}
            / nullif({{ flows_exact_sum('case when aum_start_usd > 0 then aum_start_usd end') }}, 0),
            6
        ) as aum_weighted_flow_pct,
        {{ flows_exact_sum('smart_money_flow_usd') }} as smart_money_flow_usd,
        round(
            {{ flows_exact_sum('case when aum_start_usd > 0 and return_pct is not null then return_pct * aum_start_usd end', 2) }}
            / nullif({{ flows_exact_sum('case when aum_start_usd > 0 and return_pct is not null then aum_start_usd end') }}, 0),
            6
        ) as price_momentum_pct,
        {{ flows_exact_sum('flow_prior_usd') }} as prior_net_flow_usd,
        {{ flows_exact_sum('case when flow_prior_usd is not null then flow_usd - flow_prior_usd end') }}
            as flow_momentum_usd,
        {{ flows_exact_sum('aum_usd') }} as aum_usd
    from {{ members }}
    where flow_window in ('1d', '5d', '20d')
    group by basket, as_of_date, flow_window
{% endmacro %}
