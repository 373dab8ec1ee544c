{#
    One row per ticker with NAV history: how often premiums beyond the cost band were
    followed by net creations (and discounts by net redemptions) within the
    follow-through window, against the fund's base rate of such days, from
    fct_basket_arbitrage. Days whose follow-through is not yet known are not counted.
#}

with

arbitrage as (

    select * from {{ ref('fct_basket_arbitrage') }}

),

per_fund as (

    select
        ticker,
        min(as_of_date) as first_nav_date,
        max(as_of_date) as last_nav_date,
        count(*) as nav_days,
        round({{ flows_exact_sum('premium_discount_bps', 6) }} / count(premium_discount_bps), 6)
            as avg_premium_discount_bps,
        round({{ flows_exact_sum('abs(premium_discount_bps)', 6) }} / count(premium_discount_bps), 6)
            as avg_abs_premium_discount_bps,
        max(cost_band_bps) as cost_band_bps,
        count(case when opportunity = 'create' then 1 end) as premium_days,
        count(case when opportunity = 'create' and follow_through is not null then 1 end)
            as premium_days_measured,
        count(case when opportunity = 'create' and follow_through then 1 end)
            as premium_days_followed_by_creation,
        count(case when opportunity = 'redeem' then 1 end) as discount_days,
        count(case when opportunity = 'redeem' and follow_through is not null then 1 end)
            as discount_days_measured,
        count(case when opportunity = 'redeem' and follow_through then 1 end)
            as discount_days_followed_by_redemption,
        count(followed_by_creation) as days_measured,
        count(case when followed_by_creation then 1 end) as days_followed_by_creation,
        count(case when followed_by_redemption then 1 end) as days_followed_by_redemption
    from arbitrage
    group by ticker

),

final as (

    select
        per_fund.*,
        case when premium_days_measured > 0
            then 100.0 * cast(premium_days_followed_by_creation as double) / premium_days_measured
        end as premium_follow_through_pct,
        case when discount_days_measured > 0
            then 100.0 * cast(discount_days_followed_by_redemption as double) / discount_days_measured
        end as discount_follow_through_pct,
        case when days_measured > 0
            then 100.0 * cast(days_followed_by_creation as double) / days_measured
        end as base_creation_pct,
        case when days_measured > 0
            then 100.0 * cast(days_followed_by_redemption as double) / days_measured
        end as base_redemption_pct
    from per_fund

)

select
    ticker,
    first_nav_date,
    last_nav_date,
    nav_days,
    avg_premium_discount_bps,
    avg_abs_premium_discount_bps,
    cost_band_bps,
    premium_days,
    premium_days_measured,
    premium_days_followed_by_creation,
    premium_follow_through_pct,
    discount_days,
    discount_days_measured,
    discount_days_followed_by_redemption,
    discount_follow_through_pct,
    days_measured,
    days_followed_by_creation,
    base_creation_pct,
    days_followed_by_redemption,
    base_redemption_pct
from final
