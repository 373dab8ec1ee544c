with

source as (

    select * from {{ source('sec_nport_datasets', 'nport_ds_fund_reported_info') }}

),

renamed as (

    select

        ----------  ids
        accession_number,
        nullif(nullif(trim(series_id), ''), 'N/A') as series_id,
        nullif(trim(series_name), '') as series_name,
        nullif(trim(series_lei), '') as series_lei,

        ----------  B.1 assets
        total_assets as total_assets_usd,
        total_liabilities as total_liabilities_usd,
        net_assets as net_assets_usd,

        ----------  B.6 flows (mon1 = the first month of the period, mon3 = the report's)
        sales_flow_mon1 as sales_mon1_usd,
        reinvestment_flow_mon1 as reinvestments_mon1_usd,
        redemption_flow_mon1 as redemptions_mon1_usd,
        sales_flow_mon2 as sales_mon2_usd,
        reinvestment_flow_mon2 as reinvestments_mon2_usd,
        redemption_flow_mon2 as redemptions_mon2_usd,
        sales_flow_mon3 as sales_mon3_usd,
        reinvestment_flow_mon3 as reinvestments_mon3_usd,
        redemption_flow_mon3 as redemptions_mon3_usd,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
