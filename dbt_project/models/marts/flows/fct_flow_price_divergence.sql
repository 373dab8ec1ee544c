{#
    One row per ticker per trading day: the trailing 5- and 20-day flow (% of AUM) and
    total return, each as a z-score against the fund's own trailing history
    (fct_etf_flow_windows), their difference (divergence score) and a label
    (flows_divergence_label). A view over fct_etf_flow_windows (nothing to store: a projection of it).
#}

{{ config(materialized='view') }}


with

windows as (

    select * from {{ ref('fct_etf_flow_windows') }}

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

select * from final
