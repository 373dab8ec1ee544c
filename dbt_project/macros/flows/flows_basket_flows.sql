{#
    Basket aggregates (sector baskets, asset classes, categories) of member fund windows,
    in three steps so the heavy pass over fund-days runs once per model:

    flows_basket_members_scaled(members): one row per member fund, day and window (the
    columns of flows_unpivot_windows plus any basket columns) with every amount turned
    into an integer of 1e-4 USD (ratios 1e-9) — so sums are exact and the same on every
    run, however threads combine them.

    flows_basket_partial_sums(scaled, group_by): integer sums and counts by the basket
    columns, day and window. Integer sums add up exactly, and the partial sums have the
    scaled rows' columns, so a coarser level (asset class) is the same macro over a finer
    one's partial sums (category) without going back to the fund-days.

    flows_basket_flows(sums, basket): the published figures from the partial sums:

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
#}

{% macro flows_basket_members_scaled(members, basket_columns) %}
    select
        {%- for column in basket_columns %}
        {{ column }},
        {%- endfor %}
        as_of_date,
        flow_window,
        1 as num_etfs,
        {{ flows_to_units('flow_usd') }} as flow_units,
        {{ flows_to_units('flow_pct_aum', 9) }} as flow_pct_units,
        case when flow_pct_aum is not null then 1 else 0 end as flow_pct_count,
        {{ flows_to_units('case when aum_start_usd > 0 then flow_usd end') }} as weighted_flow_units,
        {{ flows_to_units('case when aum_start_usd > 0 then aum_start_usd end') }} as start_aum_units,
        {{ flows_to_units('smart_money_flow_usd') }} as smart_money_units,
        {{ flows_to_units('case when aum_start_usd > 0 then return_pct * aum_start_usd end', 2) }}
            as return_weight_units,
        {{ flows_to_units('case when aum_start_usd > 0 and return_pct is not null then aum_start_usd end') }}
            as return_aum_units,
        {{ flows_to_units('flow_prior_usd') }} as prior_flow_units,
        {{ flows_to_units('case when flow_prior_usd is not null then flow_usd - flow_prior_usd end') }}
            as momentum_units,
        {{ flows_to_units('aum_usd') }} as aum_units
    from {{ members }}
    where flow_window in ('1d', '5d', '20d')
{% endmacro %}


{% macro flows_basket_partial_sums(scaled, group_by) %}
    select
        {%- for column in group_by %}
        {{ column }},
        {%- endfor %}
        as_of_date,
        flow_window,
        sum(num_etfs) as num_etfs,
        sum(flow_units) as flow_units,
        sum(flow_pct_units) as flow_pct_units,
        sum(flow_pct_count) as flow_pct_count,
        sum(weighted_flow_units) as weighted_flow_units,
        sum(start_aum_units) as start_aum_units,
        sum(smart_money_units) as smart_money_units,
        sum(return_weight_units) as return_weight_units,
        sum(return_aum_units) as return_aum_units,
        sum(prior_flow_units) as prior_flow_units,
        sum(momentum_units) as momentum_units,
        sum(aum_units) as aum_units
    from {{ scaled }}
    group by
        {%- for column in group_by %}
        {{ column }},
        {%- endfor %}
        as_of_date,
        flow_window
{% endmacro %}


{% macro flows_basket_flows(sums, basket) %}
    select
        {{ basket }} as basket,
        as_of_date,
        flow_window,
        cast(flow_units as double) / 10000 as net_flow_usd,
        cast(num_etfs as bigint) as num_etfs,
        round(cast(flow_pct_units as double) / 1e9 / nullif(flow_pct_count, 0), 6)
            as avg_flow_pct_aum,
        round(100.0 * cast(weighted_flow_units as double) / nullif(start_aum_units, 0), 6)
            as aum_weighted_flow_pct,
        cast(smart_money_units as double) / 10000 as smart_money_flow_usd,
        round(cast(return_weight_units as double) / 100 / (cast(nullif(return_aum_units, 0) as double) / 10000), 6)
            as price_momentum_pct,
        cast(prior_flow_units as double) / 10000 as prior_net_flow_usd,
        cast(momentum_units as double) / 10000 as flow_momentum_usd,
        cast(aum_units as double) / 10000 as aum_usd
    from {{ sums }}
{% endmacro %}


{#- An amount as an integer count of 10^-decimals units (rounded). -#}
{% macro flows_to_units(expr, decimals=4) -%}
    cast(round(({{ expr }}) * {{ 10 ** (decimals | int) }}, 0) as bigint)
{%- endmacro %}
