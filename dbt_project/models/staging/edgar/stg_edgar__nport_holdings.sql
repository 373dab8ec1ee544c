{#
    Part C, one row per investment per filing, from both routes N-PORT lands by: the XML's
    invstOrSec elements and the data sets' FUND_REPORTED_HOLDING with its IDENTIFIERS
    (landed with `-o holdings=true`; a filing landed both ways is read from its XML). A
    data-set holding's line_number is its order by the SEC's holding id; its debt, repo,
    derivative and securities-lending detail (other tables of the data sets) is not landed
    and stays null.
#}

with

source as (

    select * from {{ source('edgar', 'nport_holdings') }}

),

xml_accessions as (

    select distinct accession_number from source

),

dataset_identifiers as (

    select
        holding_id,
        min(isin) as isin,
        min(security_ticker) as security_ticker,
        min(other_id) as other_id,
        min(other_id_desc) as other_id_desc
    from {{ ref('stg_sec__nport_ds_identifiers') }}
    group by holding_id

),

dataset_holdings as (

    select
        holdings.accession_number,
        cast(row_number() over (
            partition by holdings.accession_number
            order by holdings.holding_number, holdings.holding_id
        ) as integer) as line_number,
        holdings.cusip,
        dataset_identifiers.isin,
        dataset_identifiers.security_ticker,
        holdings.lei,
        dataset_identifiers.other_id,
        dataset_identifiers.other_id_desc,
        holdings.security_name,
        holdings.security_title,
        holdings.asset_category,
        holdings.asset_category_desc,
        holdings.issuer_category,
        holdings.issuer_category_desc,
        holdings.country,
        cast(null as {{ dbt.type_string() }}) as other_country,
        holdings.payoff_profile,
        holdings.fair_value_level,
        holdings.is_restricted,
        holdings.balance,
        holdings.units,
        holdings.units_desc,
        holdings.currency,
        holdings.exchange_rate,
        holdings.value_usd,
        holdings.pct_of_net_assets,
        holdings.derivative_category,
        holdings.loaded_at
    from {{ ref('stg_sec__nport_ds_holdings') }} as holdings
    left join dataset_identifiers
        on holdings.holding_id = dataset_identifiers.holding_id
    where holdings.accession_number not in (select accession_number from xml_accessions)

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

),

from_datasets as (

    select
        accession_number,
        line_number,
        cusip,
        isin,
        security_ticker,
        lei,
        other_id,
        other_id_desc,
        security_name,
        security_title,
        asset_category,
        asset_category_desc,
        issuer_category,
        issuer_category_desc,
        country,
        other_country,
        payoff_profile,
        fair_value_level,
        is_restricted,
        balance,
        units,
        units_desc,
        currency,
        exchange_rate,
        value_usd,
        pct_of_net_assets,
        cast(null as date) as debt_maturity_date,
        cast(null as {{ dbt.type_string() }}) as debt_coupon_kind,
        cast(null as double) as debt_annualized_rate,
        cast(null as boolean) as debt_is_default,
        cast(null as boolean) as debt_is_interest_in_arrears,
        cast(null as boolean) as debt_is_paid_in_kind,
        cast(null as {{ dbt.type_string() }}) as repo_category,
        cast(null as double) as repo_rate,
        cast(null as date) as repo_maturity_date,
        derivative_category,
        cast(null as {{ dbt.type_string() }}) as derivative_counterparty_name,
        cast(null as {{ dbt.type_string() }}) as derivative_counterparty_lei,
        cast(null as double) as derivative_notional_amount,
        cast(null as {{ dbt.type_string() }}) as derivative_currency,
        cast(null as date) as derivative_expiration_date,
        cast(null as double) as derivative_unrealized_appreciation,
        cast(null as {{ dbt.type_string() }}) as option_put_or_call,
        cast(null as {{ dbt.type_string() }}) as option_written_or_purchased,
        cast(null as double) as option_exercise_price,
        cast(null as boolean) as is_on_loan,
        cast(null as double) as loan_value,
        cast(null as double) as cash_collateral_value,
        cast(null as double) as non_cash_collateral_value,
        loaded_at
    from dataset_holdings

)

select * from renamed
union all
select * from from_datasets
