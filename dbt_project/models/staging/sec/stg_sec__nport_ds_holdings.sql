with

source as (

    select * from {{ source('sec_nport_datasets', 'nport_ds_fund_reported_holding') }}

),

renamed as (

    select

        ----------  ids
        accession_number,
        holding_id,
        {{ dbt.safe_cast('holding_id', api.Column.translate_type('bigint')) }} as holding_number,
        upper(nullif(nullif(trim(issuer_cusip), ''), 'N/A')) as cusip,
        nullif(nullif(trim(issuer_lei), ''), 'N/A') as lei,

        ----------  descriptive
        nullif(nullif(trim(issuer_name), ''), 'N/A') as security_name,
        nullif(nullif(trim(issuer_title), ''), 'N/A') as security_title,
        upper(trim(asset_cat)) as asset_category,
        nullif(trim(other_asset), '') as asset_category_desc,
        upper(trim(issuer_type)) as issuer_category,
        nullif(trim(other_issuer), '') as issuer_category_desc,
        upper(trim(investment_country)) as country,
        trim(payoff_profile) as payoff_profile,
        trim(fair_value_level) as fair_value_level,
        case upper(trim(is_restricted_security)) when 'Y' then true when 'N' then false end
            as is_restricted,
        upper(trim(derivative_cat)) as derivative_category,

        ----------  amounts
        balance,
        upper(trim(unit)) as units,
        nullif(trim(other_unit_desc), '') as units_desc,
        upper(trim(currency_code)) as currency,
        exchange_rate,
        currency_value as value_usd,
        percentage as pct_of_net_assets,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
