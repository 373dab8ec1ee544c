{#
    One row per N-PORT series per reported month (fct_nport_flow_reconciliation's rows):
    the reconciliation against the fund's own Part B.6 net flow with the share-count
    repairs off and on, side by side. "On" is the warehouse's flow
    (fct_nport_flow_reconciliation.our_net_flow_usd: repaired counts, detected lags);
    "off" sums fct_etf_flows_dual_method.shares_flow_raw_usd (the counts as reported,
    no lag shift) over the same tickers and month. is_comparable is the
    reconciliation's own. A table.
#}

{{ config(materialized='table') }}

with

reconciliation as (

    select * from {{ ref('fct_nport_flow_reconciliation') }}

),

fund_series as (

    select * from {{ ref('dim_etf_nport') }}
    where series_id is not null

),

dual as (

    select * from {{ ref('fct_etf_flows_dual_method') }}

),

raw_months as (

    select
        fund_series.series_id,
        cast({{ dbt.date_trunc('month', 'dual.as_of_date') }} as date) as month_start,
        {{ flows_exact_sum('dual.shares_flow_raw_usd', 2) }} as our_net_flow_raw_usd
    from dual
    inner join fund_series
        on dual.ticker = fund_series.ticker
    group by fund_series.series_id, cast({{ dbt.date_trunc('month', 'dual.as_of_date') }} as date)

),

final as (

    select
        ----------  ids
        reconciliation.series_id,
        reconciliation.month_start,
        reconciliation.ticker,

        ----------  N-PORT
        reconciliation.nport_net_flow_usd,
        reconciliation.start_aum_usd,

        ----------  repairs off
        round(raw_months.our_net_flow_raw_usd, 2) as our_net_flow_raw_usd,
        round(raw_months.our_net_flow_raw_usd - reconciliation.nport_net_flow_usd, 2)
            as difference_raw_usd,
        case
            when reconciliation.nport_net_flow_usd <> 0
                then 100.0 * (raw_months.our_net_flow_raw_usd - reconciliation.nport_net_flow_usd)
                    / abs(reconciliation.nport_net_flow_usd)
        end as error_raw_pct,

        ----------  repairs on
        reconciliation.our_net_flow_usd,
        reconciliation.difference_usd,
        reconciliation.error_pct,

        ----------  the change
        round(
            abs(raw_months.our_net_flow_raw_usd - reconciliation.nport_net_flow_usd)
            - abs(reconciliation.difference_usd),
            2
        ) as abs_difference_reduction_usd,
        reconciliation.is_comparable

    from reconciliation
    left join raw_months
        on reconciliation.series_id = raw_months.series_id
        and reconciliation.month_start = raw_months.month_start

)

select * from final
