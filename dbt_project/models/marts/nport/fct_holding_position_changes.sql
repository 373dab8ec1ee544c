with

position_changes as (

    select * from {{ ref('int_nport_position_changes') }}

),

series_tickers as (

    select * from {{ ref('int_nport_series_tickers') }}

),

final as (

    select
        position_changes.series_id,
        position_changes.period_end,
        position_changes.security_key,
        series_tickers.ticker,
        position_changes.accession_number,
        position_changes.filing_date,
        position_changes.previous_accession_number,
        position_changes.previous_period_end,
        position_changes.security_name,
        position_changes.security_title,
        position_changes.cusip,
        position_changes.isin,
        position_changes.security_ticker,
        position_changes.asset_category,
        position_changes.status,
        position_changes.balance_before,
        position_changes.balance_after,
        position_changes.balance_change,
        position_changes.value_before_usd,
        position_changes.value_after_usd,
        position_changes.value_change_usd,
        position_changes.weight_before,
        position_changes.weight_after,
        position_changes.weight_change
    from position_changes
    left join series_tickers
        on position_changes.series_id = series_tickers.series_id

)

select * from final
