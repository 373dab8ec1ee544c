{{ config(materialized='table') }}

{#
    One row per report per security: the lines of one security in one report added up
    (a bond held in two lots, a security listed once long and once on loan). Descriptive
    attributes come from the security's first line.
#}

with

holdings as (

    select * from {{ ref('int_nport_holdings_keyed') }}

),

totals as (

    select
        accession_number,
        security_key,
        count(*) as lines,
        min(line_number) as first_line_number,
        -- rounded far below the filings' precision: sums are then identical run to run
        -- whatever order parallel aggregation adds the lines in
        round(sum(balance), 8) as balance,
        round(sum(value_usd), 4) as value_usd,
        round(sum(weight), 12) as weight
    from holdings
    group by accession_number, security_key

),

first_lines as (

    select
        holdings.*,
        row_number() over (
            partition by accession_number, security_key order by line_number
        ) as line_rank
    from holdings

),

final as (

    select
        first_lines.accession_number,
        first_lines.series_id,
        first_lines.period_end,
        first_lines.security_key,
        first_lines.security_name,
        first_lines.security_title,
        first_lines.cusip,
        first_lines.isin,
        first_lines.security_ticker,
        first_lines.asset_category,
        first_lines.issuer_category,
        first_lines.country,
        first_lines.units,
        totals.lines,
        totals.first_line_number,
        totals.balance,
        totals.value_usd,
        totals.weight
    from first_lines
    inner join totals
        on first_lines.accession_number = totals.accession_number
        and first_lines.security_key = totals.security_key
    where first_lines.line_rank = 1

)

select * from final
