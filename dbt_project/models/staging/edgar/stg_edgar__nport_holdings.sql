with

source as (

    select * from {{ source('edgar', 'nport_holdings') }}

),

renamed as (

    select

        ----------  ids
        accession_number,
        line_number,
        upper(nullif(nullif(trim(cusip), ''), 'N/A')) as cusip,
        upper(nullif(nullif(trim(isin), ''), 'N/A')) as isin,
        upper(nullif(nullif(trim(ticker), ''), 'N/A')) as security_ticker,
        nullif(nullif(trim(lei), ''), 'N/A') as lei,
        nullif(trim(other_id), '') as other_id,
        nullif(trim(other_id_desc), '') as other_id_desc,

        ----------  descriptive
        nullif(nullif(trim(name), ''), 'N/A') as security_name,
        nullif(nullif(trim(title), ''), 'N/A') as security_title,
        upper(trim(asset_category)) as asset_category,
        nullif(trim(asset_category_desc), '') as asset_category_desc,
        upper(trim(issuer_category)) as issuer_category,
        nullif(trim(issuer_category_desc), '') as issuer_category_desc,
        upper(trim(country)) as country,
        upper(trim(other_country)) as other_country,
        trim(payoff_profile) as payoff_profile,
        trim(fair_value_level) as fair_value_level,
        is_restricted,

        ----------  amounts
        balance,
        upper(trim(units)) as units,
        nullif(trim(units_desc), '') as units_desc,
        upper(trim(currency)) as currency,
        exchange_rate,
        value_usd,
        pct_of_net_assets,

        ----------  debt
        debt_maturity_date,
        debt_coupon_kind,
        debt_annualized_rate,
        debt_is_default,
        debt_is_interest_in_arrears,
        debt_is_paid_in_kind,

        ----------  repurchase agreements
        repo_category,
        repo_rate,
        repo_maturity_date,

        ----------  derivatives
        derivative_category,
        derivative_counterparty_name,
        derivative_counterparty_lei,
        derivative_notional_amount,
        derivative_currency,
        derivative_expiration_date,
        derivative_unrealized_appreciation,
        option_put_or_call,
        option_written_or_purchased,
        option_exercise_price,

        ----------  securities lending
        is_on_loan,
        loan_value,
        cash_collateral_value,
        non_cash_collateral_value,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
