{#
    Item B.6 by calendar month. Each report covers the three months ending with its
    period_end (month 3 = that month). When several current reports cover the same month
    (monthly public reports from late 2025 on), the latest report's figures are used.
#}

with

filings as (

    select * from {{ ref('int_nport_filings_sequenced') }}

),

flows as (

    select * from {{ ref('stg_edgar__nport_monthly_flows') }}

),

series_tickers as (

    select * from {{ ref('int_nport_series_tickers') }}

),

reported_months as (

    select
        filings.series_id,
        filings.series_name,
        filings.accession_number,
        filings.period_end,
        filings.filing_date,
        flows.month_number,
        flows.flow_month,
        flows.sales_usd,
        flows.reinvestments_usd,
        flows.redemptions_usd,
        flows.is_redemption_sign_normalized,
        row_number() over (
            partition by filings.series_id, flows.flow_month
            order by filings.period_end desc
        ) as report_rank
    from flows
    inner join filings
        on flows.accession_number = filings.accession_number

),

final as (

    select
        reported_months.series_id,
        reported_months.flow_month,
        series_tickers.ticker,
        series_tickers.etf_tickers,
        reported_months.series_name,
        reported_months.accession_number,
        reported_months.period_end,
        reported_months.filing_date,
        cast(reported_months.month_number as integer) as month_number,
        reported_months.sales_usd,
        reported_months.reinvestments_usd,
        reported_months.redemptions_usd,
        reported_months.sales_usd + coalesce(reported_months.reinvestments_usd, 0)
            - reported_months.redemptions_usd as net_flow_usd,
        reported_months.is_redemption_sign_normalized
    from reported_months
    left join series_tickers
        on reported_months.series_id = series_tickers.series_id
    where reported_months.report_rank = 1

)

select * from final
