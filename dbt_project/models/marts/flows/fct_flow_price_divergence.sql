{#
    One row per ticker per trading day: the trailing 5- and 20-day flow (% of AUM) and
    total return, each as a z-score against the fund's own trailing history
    (int_etf_flow_windows), their difference (divergence score) and a label
    (flows_divergence_label). Incremental like fct_etf_flows_daily.
#}

{{
    config(
        materialized='incremental',
        unique_key=['ticker', 'as_of_date'],
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

{%- set recompute_from = flows_recompute_from() %}

with

windows as (

    select * from {{ ref('int_etf_flow_windows') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', recompute_from) }}

),

final as (

    select
        ticker,
        as_of_date,

        ----------  5 trading days
        flow_5d_usd,
        flow_5d_pct_aum,
        return_5d_pct,
        flow_z_5d,
        return_z_5d,
        flow_z_5d - return_z_5d as divergence_score_5d,
        {{ flows_divergence_label('flow_z_5d', 'return_z_5d') }} as divergence_label_5d,

        ----------  20 trading days
        flow_20d_usd,
        flow_20d_pct_aum,
        return_20d_pct,
        flow_z_20d,
        return_z_20d,
        flow_z_20d - return_z_20d as divergence_score_20d,
        {{ flows_divergence_label('flow_z_20d', 'return_z_20d') }} as divergence_label_20d

    from windows

)

select
    ticker,
    as_of_date,
    flow_5d_usd,
    flow_5d_pct_aum,
    return_5d_pct,
    flow_z_5d,
    return_z_5d,
    divergence_score_5d,
    divergence_label_5d,
    flow_20d_usd,
    flow_20d_pct_aum,
    return_20d_pct,
    flow_z_20d,
    return_z_20d,
    divergence_score_20d,
    divergence_label_20d
from final
