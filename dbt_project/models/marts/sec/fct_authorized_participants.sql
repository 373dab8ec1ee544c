{#
    One row per ETF per N-CEN report: its authorized participants (Item E.2) and how
    concentrated its creations and redemptions were among them over the reporting period
    - a fragility signal for bond ETFs, whose baskets few dealers can assemble: when the
    top AP steps back, creations and redemptions stall and the price drifts from NAV.

    Shares are of the dollar value of the fund's shares the APs purchased from the fund
    (creations) or redeemed, summed over the listed APs; the HHI is the sum of squared
    percentage shares (10,000 = one AP did everything). A report whose APs show no
    creations (or no redemptions) has null shares for that side, never zeros.
#}

with

reports as (

    select * from {{ ref('int_ncen_etf_reports') }}

),

participants as (

    select * from {{ ref('stg_edgar__ncen_authorized_participants') }}

),

per_ap as (

    select
        reports.ticker,
        reports.accession_number,
        participants.ap_key,
        participants.ap_name,
        participants.ap_lei,
        coalesce(participants.purchases_usd, 0.0) as purchases_usd,
        coalesce(participants.redemptions_usd, 0.0) as redemptions_usd
    from reports
    inner join participants
        on reports.accession_number = participants.accession_number
        and reports.record_number = participants.record_number

),

totals as (

    select
        ticker,
        accession_number,
        count(*) as ap_count,
        count(case when purchases_usd > 0 or redemptions_usd > 0 then 1 end) as active_ap_count,
        count(case when purchases_usd > 0 then 1 end) as creating_ap_count,
        count(case when redemptions_usd > 0 then 1 end) as redeeming_ap_count,
        sum(purchases_usd) as creations_usd,
        sum(redemptions_usd) as redemptions_usd
    from per_ap
    group by ticker, accession_number

),

shares as (

    select
        per_ap.*,
        case when totals.creations_usd > 0
            then 100.0 * per_ap.purchases_usd / totals.creations_usd end as creation_share_pct,
        case when totals.redemptions_usd > 0
            then 100.0 * per_ap.redemptions_usd / totals.redemptions_usd end as redemption_share_pct
    from per_ap
    inner join totals
        on per_ap.ticker = totals.ticker
        and per_ap.accession_number = totals.accession_number

),

top_creators as (

    {{ first_row_per(
        'shares',
        columns=['ticker', 'accession_number', 'ap_name', 'ap_lei', 'creation_share_pct'],
        partition_by='ticker, accession_number',
        order_by='purchases_usd desc, ap_key',
        where='creation_share_pct is not null',
    ) }}

),

top_redeemers as (

    {{ first_row_per(
        'shares',
        columns=['ticker', 'accession_number', 'ap_name', 'ap_lei', 'redemption_share_pct'],
        partition_by='ticker, accession_number',
        order_by='redemptions_usd desc, ap_key',
        where='redemption_share_pct is not null',
    ) }}

),

concentration as (

    select
        ticker,
        accession_number,
        sum(creation_share_pct * creation_share_pct) as creation_hhi,
        sum(redemption_share_pct * redemption_share_pct) as redemption_hhi
    from shares
    group by ticker, accession_number

),

final as (

    select

        ----------  ids
        reports.ticker,
        reports.series_id,
        reports.cik,
        reports.fund_name,
        reports.accession_number,

        ----------  the report
        reports.report_period_end,
        reports.filing_date,
        reports.report_period_end = max(reports.report_period_end) over (
            partition by reports.ticker
        ) as is_latest_report,

        ----------  how many APs
        cast(coalesce(totals.ap_count, 0) as integer) as ap_count,
        cast(coalesce(totals.active_ap_count, 0) as integer) as active_ap_count,
        cast(coalesce(totals.creating_ap_count, 0) as integer) as creating_ap_count,
        cast(coalesce(totals.redeeming_ap_count, 0) as integer) as redeeming_ap_count,

        ----------  creations and redemptions over the period (E.2.e/f summed)
        coalesce(totals.creations_usd, 0.0) as creations_usd,
        coalesce(totals.redemptions_usd, 0.0) as redemptions_usd,

        ----------  concentration
        top_creators.ap_name as top_creator_name,
        top_creators.ap_lei as top_creator_lei,
        top_creators.creation_share_pct as top_creator_share_pct,
        top_redeemers.ap_name as top_redeemer_name,
        top_redeemers.ap_lei as top_redeemer_lei,
        top_redeemers.redemption_share_pct as top_redeemer_share_pct,
        case when totals.creations_usd > 0 then concentration.creation_hhi end as creation_hhi,
        case when totals.redemptions_usd > 0 then concentration.redemption_hhi end
            as redemption_hhi

    from reports
    left join totals
        on reports.ticker = totals.ticker
        and reports.accession_number = totals.accession_number
    left join top_creators
        on reports.ticker = top_creators.ticker
        and reports.accession_number = top_creators.accession_number
    left join top_redeemers
        on reports.ticker = top_redeemers.ticker
        and reports.accession_number = top_redeemers.accession_number
    left join concentration
        on reports.ticker = concentration.ticker
        and reports.accession_number = concentration.accession_number

)

select * from final
