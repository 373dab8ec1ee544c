{#
    One row per series per public report, against the series' previous report (the
    seed's ETFHoldingsChange). Weights are fractions of the report's net assets.
      total_positions   distinct securities (security_key) in the report
      top10_weight      weight of the ten largest positions by value
      turnover_rate     one-way holdings turnover: half the sum over all securities of
                        |weight now - weight before| (0 = same weights, 1 = a completely
                        different portfolio). It includes weight drift from relative price
                        moves, so it is not the trading turnover of the annual report.
      largest_additions / largest_deletions   the five largest positions added (by value
                        now) / removed (by value before), "name (weight %)" separated by "; "
    The first report of a series has no previous report: the change columns are null.
#}

with

filings as (

    select * from {{ ref('int_nport_filings_sequenced') }}

),

positions as (

    select * from {{ ref('int_nport_positions') }}

),

position_changes as (

    select * from {{ ref('int_nport_position_changes') }}

),

series_tickers as (

    select * from {{ ref('int_nport_series_tickers') }}

),

ranked_positions as (

    select
        accession_number,
        weight,
        row_number() over (
            partition by accession_number order by value_usd desc, security_key
        ) as size_rank
    from positions

),

portfolio as (

    select
        accession_number,
        count(*) as total_positions,
        round(sum(case when size_rank <= 10 then weight end), 10) as top10_weight,
        round(sum(weight), 10) as holdings_weight_sum
    from ranked_positions
    group by accession_number

),

changes as (

    select
        accession_number,
        sum(case when status = 'added' then 1 else 0 end) as holdings_added,
        sum(case when status = 'removed' then 1 else 0 end) as holdings_removed,
        sum(case when status = 'increased' then 1 else 0 end) as holdings_increased,
        sum(case when status = 'decreased' then 1 else 0 end) as holdings_decreased,
        sum(case when status = 'unchanged' then 1 else 0 end) as holdings_unchanged,
        round(0.5 * sum(abs(weight_after - weight_before)), 10) as turnover_rate
    from position_changes
    group by accession_number

),

movers as (

    select
        accession_number,
        status,
        coalesce(security_name, security_key) as security_name,
        case when status = 'added' then weight_after else weight_before end as weight,
        row_number() over (
            partition by accession_number, status
            order by case when status = 'added' then value_after_usd
                          else value_before_usd end desc, security_key
        ) as mover_rank
    from position_changes
    where status in ('added', 'removed')

),

mover_lists as (

    {#- `+ 0.0`: a weight rounding to zero reads 0.0%, never -0.0% (on every engine) #}
    select
        accession_number,
        {{ dbt.listagg(
            "case when status = 'added' then security_name || ' (' || "
            ~ "cast(round(weight * 100, 2) + 0.0 as " ~ dbt.type_string() ~ ") || '%)' end",
            "'; '", "order by mover_rank") }} as largest_additions,
        {{ dbt.listagg(
            "case when status = 'removed' then security_name || ' (' || "
            ~ "cast(round(weight * 100, 2) + 0.0 as " ~ dbt.type_string() ~ ") || '%)' end",
            "'; '", "order by mover_rank") }} as largest_deletions
    from movers
    where mover_rank <= 5
    group by accession_number

),

final as (

    select
        filings.series_id,
        filings.period_end,
        series_tickers.ticker,
        series_tickers.etf_tickers,
        filings.series_name,
        filings.accession_number,
        filings.filing_date,
        filings.is_amendment,
        filings.previous_accession_number,
        filings.previous_period_end,
        filings.previous_filing_date,
        filings.net_assets_usd,
        cast(coalesce(portfolio.total_positions, 0) as bigint) as total_positions,
        portfolio.top10_weight,
        portfolio.holdings_weight_sum,
        cast(changes.holdings_added as bigint) as holdings_added,
        cast(changes.holdings_removed as bigint) as holdings_removed,
        cast(changes.holdings_increased as bigint) as holdings_increased,
        cast(changes.holdings_decreased as bigint) as holdings_decreased,
        cast(changes.holdings_unchanged as bigint) as holdings_unchanged,
        changes.turnover_rate,
        case
            when filings.previous_accession_number is not null
                then coalesce(mover_lists.largest_additions, '')
        end as largest_additions,
        case
            when filings.previous_accession_number is not null
                then coalesce(mover_lists.largest_deletions, '')
        end as largest_deletions
    from filings
    left join portfolio
        on filings.accession_number = portfolio.accession_number
    left join changes
        on filings.accession_number = changes.accession_number
    left join mover_lists
        on filings.accession_number = mover_lists.accession_number
    left join series_tickers
        on filings.series_id = series_tickers.series_id

)

select * from final
