{#
    Item B.6 per filing and month, from both routes N-PORT lands by: the XML's mon1Flow ..
    mon3Flow and the data sets' SALES/REINVESTMENT/REDEMPTION_FLOW_MON1..3 (a filing landed
    both ways is read from its XML). Month 1 is the first month of the three-month period,
    month 3 the month of the report date (repPdDate / REPORT_DATE): the calendar month of
    month k is the report date's month minus (3 - k), as the XML parser attributes it.
#}

with

xml_flows as (

    select * from {{ source('edgar', 'nport_monthly_flows') }}

),

xml_accessions as (

    select accession_number from {{ source('edgar', 'nport_filings') }}

),

dataset_funds as (

    select * from {{ ref('stg_sec__nport_ds_fund_info') }}

),

dataset_submissions as (

    select * from {{ ref('stg_sec__nport_ds_submissions') }}

),

dataset_months as (

    {{ nport_dataset_months('dataset_funds', 'flow_month', {
        'sales_usd': 'sales_mon{k}_usd',
        'reinvestments_usd': 'reinvestments_mon{k}_usd',
        'redemptions_usd': 'redemptions_mon{k}_usd'}) }}

),

source as (

    select
        accession_number,
        cast(month_number as integer) as month_number,
        flow_month,
        sales_usd,
        reinvestments_usd,
        redemptions_usd,
        _loaded_at
    from xml_flows

    union all

    select
        accession_number,
        cast(month_number as integer) as month_number,
        flow_month,
        sales_usd,
        reinvestments_usd,
        redemptions_usd,
        _loaded_at
    from dataset_months

),

renamed as (

    select

        ----------  ids
        accession_number,
        month_number,

        ----------  dates
        flow_month,

        ----------  numerics
        sales_usd,
        reinvestments_usd,
        -- B.6.c asks for the NAV of shares redeemed, a non-negative amount; some filers
        -- report it with an outflow sign. The amount is kept, the sign normalised.
        abs(redemptions_usd) as redemptions_usd,
        redemptions_usd as redemptions_usd_as_filed,
        coalesce(redemptions_usd < 0, false) as is_redemption_sign_normalized,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
