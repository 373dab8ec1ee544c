{{ config(materialized='table') }}

{#
    Each report against the series' previous report, security by security (the full
    outer join of the two reports' positions). Status:
      added      held now, not in the previous report
      removed    in the previous report, not held now
      increased  / decreased / unchanged   held in both; the balance (shares, principal
                 or contracts) went up / down / stayed — a price move alone is unchanged
    Missing sides count as zero: before = 0 for added, after = 0 for removed.
#}

with

filings as (

    select * from {{ ref('int_nport_filings_sequenced') }}
    where previous_accession_number is not null

),

positions as (

    select * from {{ ref('int_nport_positions') }}

),

current_side as (

    select
        filings.accession_number as pair_accession_number,
        positions.*
    from filings
    inner join positions
        on positions.accession_number = filings.accession_number

),

previous_side as (

    select
        filings.accession_number as pair_accession_number,
        positions.*
    from filings
    inner join positions
        on positions.accession_number = filings.previous_accession_number

),

matched as (

    select
        coalesce(cur.pair_accession_number, prev.pair_accession_number) as accession_number,
        coalesce(cur.security_key, prev.security_key) as security_key,
        coalesce(cur.security_name, prev.security_name) as security_name,
        coalesce(cur.security_title, prev.security_title) as security_title,
        coalesce(cur.cusip, prev.cusip) as cusip,
        coalesce(cur.isin, prev.isin) as isin,
        coalesce(cur.security_ticker, prev.security_ticker) as security_ticker,
        coalesce(cur.asset_category, prev.asset_category) as asset_category,
        cur.security_key is not null as held_now,
        prev.security_key is not null as held_before,
        coalesce(prev.balance, 0) as balance_before,
        coalesce(cur.balance, 0) as balance_after,
        coalesce(prev.value_usd, 0) as value_before_usd,
        coalesce(cur.value_usd, 0) as value_after_usd,
        coalesce(prev.weight, 0) as weight_before,
        coalesce(cur.weight, 0) as weight_after
    from current_side as cur
    full outer join previous_side as prev
        on cur.pair_accession_number = prev.pair_accession_number
        and cur.security_key = prev.security_key

),

final as (

    select
        matched.accession_number,
        filings.series_id,
        filings.period_end,
        filings.filing_date,
        filings.previous_accession_number,
        filings.previous_period_end,
        matched.security_key,
        matched.security_name,
        matched.security_title,
        matched.cusip,
        matched.isin,
        matched.security_ticker,
        matched.asset_category,
        case
            when not matched.held_before then 'added'
            when not matched.held_now then 'removed'
            when matched.balance_after > matched.balance_before then 'increased'
            when matched.balance_after < matched.balance_before then 'decreased'
            else 'unchanged'
        end as status,
        matched.balance_before,
        matched.balance_after,
        matched.balance_after - matched.balance_before as balance_change,
        matched.value_before_usd,
        matched.value_after_usd,
        matched.value_after_usd - matched.value_before_usd as value_change_usd,
        matched.weight_before,
        matched.weight_after,
        matched.weight_after - matched.weight_before as weight_change
    from matched
    inner join filings
        on matched.accession_number = filings.accession_number

)

select * from final
