{#
    One row per trading day: how clean the universe's flow inputs were. Funds are the
    tickers with a row in fct_etf_flows_dual_method that day; a fund's data is clean
    when its flow was measured from counts that raised no value anomaly (a lag is
    corrected, not counted against it). Flags are ticker-days of
    int_shares_outstanding_checked; the method columns cover the funds with both
    estimates (total assets known, the demo's last 60 trading days). Sums are added in
    whole cents (flows_exact_sum) so rebuilds are identical. A table.
#}

{{ config(materialized='table') }}

with

dual as (

    select * from {{ ref('fct_etf_flows_dual_method') }}

),

checked as (

    select * from {{ ref('int_shares_outstanding_checked') }}

),

flags as (

    select
        as_of_date,
        count(case when is_spike_revert then 1 end) as spike_revert_flags,
        count(case when is_stale then 1 end) as stale_flags,
        count(case when is_not_unit_multiple then 1 end) as not_unit_multiple_flags,
        count(case when is_split_unadjusted then 1 end) as split_unadjusted_flags,
        count(case when is_scale_error then 1 end) as scale_error_flags,
        count(case when is_lagged then 1 end) as lagged_funds,
        count(case when is_repaired then 1 end) as repairs
    from checked
    group by as_of_date

),

days as (

    select
        as_of_date,
        count(*) as funds,
        count(best_estimate_flow_usd) as funds_with_flow,
        count(
            case when shares_flow_usd is not null and not count_flagged then 1 end
        ) as funds_clean,
        count(methods_concordant) as funds_with_both_methods,
        count(case when methods_concordant then 1 end) as funds_concordant,
        count(case when method = 'aum' then 1 end) as funds_on_aum_method,
        {{ flows_exact_sum('abs(method_difference_usd)', 2) }} as method_difference_abs_usd,
        {{ flows_exact_sum('case when methods_concordant is not null then shares_flow_usd end', 2) }}
            as both_methods_shares_flow_usd,
        {{ flows_exact_sum('aum_flow_usd', 2) }} as both_methods_aum_flow_usd,
        {{ flows_exact_sum('best_estimate_flow_usd', 2) }} as net_flow_best_estimate_usd,
        {{ flows_exact_sum('shares_flow_raw_usd', 2) }} as net_flow_raw_usd,
        count(case when confidence = 'high' then 1 end) as high_confidence_funds,
        count(case when confidence = 'medium' then 1 end) as medium_confidence_funds,
        count(case when confidence = 'low' then 1 end) as low_confidence_funds
    from dual
    group by as_of_date

),

final as (

    select
        days.as_of_date,
        days.funds,
        days.funds_with_flow,
        days.funds_clean,
        round(100.0 * cast(days.funds_clean as double) / days.funds, 4) as clean_pct,
        coalesce(flags.repairs, 0) as repairs,
        coalesce(flags.spike_revert_flags, 0) as spike_revert_flags,
        coalesce(flags.stale_flags, 0) as stale_flags,
        coalesce(flags.not_unit_multiple_flags, 0) as not_unit_multiple_flags,
        coalesce(flags.split_unadjusted_flags, 0) as split_unadjusted_flags,
        coalesce(flags.scale_error_flags, 0) as scale_error_flags,
        coalesce(flags.lagged_funds, 0) as lagged_funds,
        days.funds_with_both_methods,
        days.funds_concordant,
        case
            when days.funds_with_both_methods > 0
                then round(100.0 * cast(days.funds_concordant as double) / days.funds_with_both_methods, 4)
        end as concordance_pct,
        days.funds_on_aum_method,
        round(days.method_difference_abs_usd, 2) as method_difference_abs_usd,
        round(days.both_methods_shares_flow_usd, 2) as both_methods_shares_flow_usd,
        round(days.both_methods_aum_flow_usd, 2) as both_methods_aum_flow_usd,
        round(days.net_flow_best_estimate_usd, 2) as net_flow_best_estimate_usd,
        round(days.net_flow_raw_usd, 2) as net_flow_raw_usd,
        days.high_confidence_funds,
        days.medium_confidence_funds,
        days.low_confidence_funds
    from days
    left join flags
        on days.as_of_date = flags.as_of_date

)

select * from final
