{#
    One row per segment per tolerance in
    var('reconciliation_tolerance_pcts'): how many comparable fund-months
    (fct_nport_flow_reconciliation.is_comparable) land within the tolerance of the
    fund's own N-PORT net flow, |ours − N-PORT| <= tolerance % × |N-PORT|. The warehouse
    measuring its own accuracy. Segments by segment_kind: all ('all'), asset_class
    (equity, bond, …) and shares_source (issuer, vendor, mixed: whose share counts our
    side used — the gain from issuer counts, measured).
#}

{%- set tolerances = var('reconciliation_tolerance_pcts') %}

with

reconciliation as (

    select * from {{ ref('fct_nport_flow_reconciliation') }}

),

funds as (

    select * from {{ ref('dim_etf') }}

),

tolerances as (

    {%- for tolerance in tolerances %}
    select cast({{ tolerance }} as double) as tolerance_pct
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

months as (

    select
        reconciliation.*,
        coalesce(funds.asset_class, 'unclassified') as asset_class
    from reconciliation
    left join funds
        on reconciliation.ticker = funds.ticker

),

segmented as (

    select 'all' as segment_kind, 'all' as segment, months.* from months
    union all
    select 'asset_class' as segment_kind, asset_class as segment, months.* from months
    union all
    select 'shares_source' as segment_kind, shares_source_type as segment, months.*
    from months
    where shares_source_type is not null

),

summary as (

    select
        segmented.segment_kind,
        segmented.segment,
        tolerances.tolerance_pct,
        count(*) as nport_fund_months,
        count(case when segmented.is_comparable then 1 end) as comparable_fund_months,
        count(distinct case when segmented.is_comparable then segmented.series_id end)
            as comparable_funds,
        count(
            case
                when segmented.is_comparable
                    and abs(segmented.our_net_flow_usd - segmented.nport_net_flow_usd)
                        <= tolerances.tolerance_pct / 100.0 * abs(segmented.nport_net_flow_usd)
                    then 1
            end
        ) as fund_months_within,
        min(case when segmented.is_comparable then segmented.month_start end) as first_month,
        max(case when segmented.is_comparable then segmented.month_start end) as last_month,
        round(
            {{ flows_exact_sum('case when segmented.is_comparable then abs(segmented.difference_pct_aum) end', 9) }}
            / nullif(count(case when segmented.is_comparable then segmented.difference_pct_aum end), 0),
            6
        ) as mean_abs_difference_pct_aum,
        {{ flows_exact_sum('case when segmented.is_comparable then abs(segmented.difference_usd) end', 2) }}
            as total_abs_difference_usd,
        {{ flows_exact_sum('case when segmented.is_comparable then segmented.nport_sales_usd + coalesce(segmented.nport_reinvestments_usd, 0) + segmented.nport_redemptions_usd end', 2) }}
            as total_nport_gross_flow_usd
    from segmented
    cross join tolerances
    group by segmented.segment_kind, segmented.segment, tolerances.tolerance_pct

),

final as (

    select
        summary.*,
        case
            when comparable_fund_months > 0
                then round(100.0 * cast(fund_months_within as double) / comparable_fund_months, 6)
        end as share_within_pct
    from summary

)

select
    segment_kind,
    segment,
    tolerance_pct,
    nport_fund_months,
    comparable_fund_months,
    comparable_funds,
    fund_months_within,
    share_within_pct,
    first_month,
    last_month,
    mean_abs_difference_pct_aum,
    total_abs_difference_usd,
    total_nport_gross_flow_usd
from final
