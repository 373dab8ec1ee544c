with

source as (

    select * from {{ source('edgar_ncen', 'ncen_etf_series') }}

),

renamed as (

    select

        ----------  ids
        accession_number,
        cast(record_number as integer) as record_number,
        series_id,
        nullif(trim(class_id), '') as class_id,
        upper(nullif(trim(ticker), '')) as ticker,
        nullif(trim(exchange), '') as exchange,
        nullif(trim(fund_name), '') as fund_name,

        ----------  dates
        report_period_end,

        ----------  E.3.a creation unit (shares; whole by definition)
        cast(round(creation_unit_shares, 0) as bigint) as creation_unit_size,
        cast(round(creation_unit_redemption_shares, 0) as bigint)
            as creation_unit_redemption_size,

        ----------  E.3.b/c how creation units were paid: average % of value in cash / in kind
        purchase_cash_avg_pct,
        purchase_cash_sd_pct,
        purchase_in_kind_avg_pct,
        purchase_in_kind_sd_pct,
        redemption_cash_avg_pct,
        redemption_cash_sd_pct,
        redemption_in_kind_avg_pct,
        redemption_in_kind_sd_pct,

        ----------  E.3.d/e transaction fees: fixed (USD per unit) and variable (% of value)
        purchase_fee_per_unit_usd,
        purchase_fee_same_day_units_usd,
        purchase_fee_pct,
        purchase_cash_fee_per_unit_usd,
        purchase_cash_fee_same_day_units_usd,
        purchase_cash_fee_pct,
        redemption_fee_per_unit_usd,
        redemption_fee_same_day_units_usd,
        redemption_fee_pct,
        redemption_cash_fee_per_unit_usd,
        redemption_cash_fee_same_day_units_usd,
        redemption_cash_fee_pct,

        ----------  flags
        is_collateral_required,
        is_in_kind_etf,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
