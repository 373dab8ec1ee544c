{#
    One row per ticker per trading day: the seed's FlowMomentumSignal (BUY / SELL /
    NEUTRAL with a 0-100 strength and three component scores), computed from measured
    flows. Scoring (vars in dbt_project.yml):

        flow_score   = min(100, signal_score_per_z * |flow z-score of the 5-day flow % AUM|)
        price_score  = min(100, signal_score_per_z * |z-score of the 5-day total return|)
        volume_score = min(100, signal_volume_score_per_ratio * volume / 30-day average)
        signal_strength = (flow_score + price_score + volume_score) / 3

    A score whose input is unknown is 0. BUY when the 5-day flow is an inflow and
    flow_score >= signal_flow_score_threshold, SELL for an outflow likewise, else
    NEUTRAL. The reason names a divergence when the 5-day return moved against the flow
    by at least signal_divergence_price_pct. Deterministic: same inputs, same rows.
    A view over fct_etf_flow_windows (nothing to store: a projection of it).
#}

{{ config(materialized='view') }}

{%- set per_z = var('signal_score_per_z') | float %}
{%- set per_ratio = var('signal_volume_score_per_ratio') | float %}
{%- set threshold = var('signal_flow_score_threshold') | float %}
{%- set divergence_pct = var('signal_divergence_price_pct') | float %}

with

windows as (

    select * from {{ ref('fct_etf_flow_windows') }}

),

funds as (

    select * from {{ ref('dim_etf') }}

),

trust as (

    -- share-count quality (models/marts/quality): lowest daily confidence over 5 days
    select * from {{ ref('fct_etf_flows_dual_method') }}

),

scored as (

    select
        windows.ticker,
        windows.as_of_date,
        funds.fund_name,
        windows.aum_usd,
        windows.net_flow_usd as flow_1d_usd,
        windows.flow_5d_usd,
        windows.flow_20d_usd,
        windows.flow_5d_usd / 5.0 as flow_5d_avg_usd,
        windows.flow_20d_usd / 20.0 as flow_20d_avg_usd,
        windows.flow_z_5d,
        windows.return_5d_pct,
        windows.return_z_5d,
        windows.volume_avg_ratio_30d,
        -- least() skips nulls on some engines: an unknown input scores 0 explicitly
        case
            when windows.flow_z_5d is null then 0.0
            else least(100.0, {{ per_z }} * abs(windows.flow_z_5d))
        end as flow_score,
        case
            when windows.return_z_5d is null then 0.0
            else least(100.0, {{ per_z }} * abs(windows.return_z_5d))
        end as price_score,
        case
            when windows.volume_avg_ratio_30d is null then 0.0
            else least(100.0, {{ per_ratio }} * windows.volume_avg_ratio_30d)
        end as volume_score,
        trust.confidence_5d as confidence
    from windows
    left join funds
        on windows.ticker = funds.ticker
    left join trust
        on windows.ticker = trust.ticker
        and windows.as_of_date = trust.as_of_date

),

signals as (

    select
        scored.*,
        case
            when flow_5d_usd > 0 and flow_score >= {{ threshold }} then 'BUY'
            when flow_5d_usd < 0 and flow_score >= {{ threshold }} then 'SELL'
            else 'NEUTRAL'
        end as signal,
        case
            when flow_5d_usd is null or flow_z_5d is null then 'Insufficient flow history'
            when flow_5d_usd > 0 and flow_score >= {{ threshold }}
                and return_5d_pct <= -{{ divergence_pct }}
                then 'Inflows during price weakness (dip buying)'
            when flow_5d_usd < 0 and flow_score >= {{ threshold }}
                and return_5d_pct >= {{ divergence_pct }}
                then 'Outflows during price strength (distribution)'
            when flow_5d_usd > 0 and flow_score >= {{ threshold }}
                then {{ dbt.concat(["'Strong inflows: $'", flows_format_millions('flow_5d_avg_usd'), "'M/day avg over 5 days'"]) }}
            when flow_5d_usd < 0 and flow_score >= {{ threshold }}
                then {{ dbt.concat(["'Strong outflows: $'", flows_format_millions('-1.0 * flow_5d_avg_usd'), "'M/day avg over 5 days'"]) }}
            else 'No significant flow'
        end as reason,
        round((flow_score + price_score + volume_score) / 3.0, 6) as signal_strength
    from scored

)

select
    ticker,
    as_of_date,
    fund_name,
    signal,
    signal_strength,
    flow_score,
    price_score,
    volume_score,
    reason,
    aum_usd,
    flow_1d_usd,
    flow_5d_usd,
    flow_20d_usd,
    flow_5d_avg_usd,
    flow_20d_avg_usd,
    flow_z_5d,
    return_5d_pct,
    return_z_5d,
    volume_avg_ratio_30d,
    confidence
from signals
