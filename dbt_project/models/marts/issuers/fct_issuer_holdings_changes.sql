{#
    One row per fund, issuer plugin and holdings date of the issuer's daily holdings
    files, against the fund's previous holdings date from the same issuer: the holdings
    change between N-PORT reports (which come quarterly, two months late), where an
    issuer publishes its holdings.

    A position is a security: its ISIN, else CUSIP, else SEDOL, else ticker, else name
    (lines with the same key are summed). Weights are the file's, as fractions.
      added / removed / increased / decreased / unchanged   securities, by quantity
      turnover_rate   half the sum of |weight now - weight before| (includes price drift)
      top10_weight    weight of the ten largest positions (by weight)
    The first date of a fund has no previous one: the change columns are null.
#}

{{ config(materialized='table') }}

with

holdings as (

    select * from {{ ref('stg_issuers__holdings') }}

),

positions as (

    select
        ticker,
        source,
        as_of_date,
        coalesce(isin, cusip, sedol, holding_ticker, upper(holding_name)) as security_key,
        sum(quantity) as quantity,
        sum(weight_pct) / 100.0 as weight
    from holdings
    group by ticker, source, as_of_date,
        coalesce(isin, cusip, sedol, holding_ticker, upper(holding_name))

),

snapshots as (

    select
        ticker,
        source,
        as_of_date,
        lag(as_of_date) over (partition by ticker, source order by as_of_date)
            as previous_as_of_date
    from (select distinct ticker, source, as_of_date from positions) as dates

),

portfolio as (

    select
        ticker,
        source,
        as_of_date,
        count(*) as total_positions,
        round(sum(case when size_rank <= 10 then weight end), 10) as top10_weight
    from (
        select
            positions.*,
            row_number() over (
                partition by ticker, source, as_of_date order by weight desc, security_key
            ) as size_rank
        from positions
    ) as ranked
    group by ticker, source, as_of_date

),

current_side as (

    select snapshots.previous_as_of_date, positions.*
    from snapshots
    inner join positions
        on snapshots.ticker = positions.ticker
        and snapshots.source = positions.source
        and snapshots.as_of_date = positions.as_of_date
    where snapshots.previous_as_of_date is not null

),

previous_side as (

    select snapshots.as_of_date as pair_as_of_date, positions.*
    from snapshots
    inner join positions
        on snapshots.ticker = positions.ticker
        and snapshots.source = positions.source
        and snapshots.previous_as_of_date = positions.as_of_date

),

matched as (

    select
        coalesce(cur.ticker, prev.ticker) as ticker,
        coalesce(cur.source, prev.source) as source,
        coalesce(cur.as_of_date, prev.pair_as_of_date) as as_of_date,
        case
            when prev.security_key is null then 'added'
            when cur.security_key is null then 'removed'
            when cur.quantity > prev.quantity then 'increased'
            when cur.quantity < prev.quantity then 'decreased'
            else 'unchanged'
        end as status,
        abs(coalesce(cur.weight, 0) - coalesce(prev.weight, 0)) as weight_change
    from current_side as cur
    full outer join previous_side as prev
        on cur.ticker = prev.ticker
        and cur.source = prev.source
        and cur.as_of_date = prev.pair_as_of_date
        and cur.security_key = prev.security_key

),

changes as (

    select
        ticker,
        source,
        as_of_date,
        sum(case when status = 'added' then 1 else 0 end) as holdings_added,
        sum(case when status = 'removed' then 1 else 0 end) as holdings_removed,
        sum(case when status = 'increased' then 1 else 0 end) as holdings_increased,
        sum(case when status = 'decreased' then 1 else 0 end) as holdings_decreased,
        sum(case when status = 'unchanged' then 1 else 0 end) as holdings_unchanged,
        round(0.5 * sum(weight_change), 10) as turnover_rate
    from matched
    group by ticker, source, as_of_date

),

final as (

    select
        ----------  ids
        snapshots.ticker,
        snapshots.source,
        snapshots.as_of_date,
        snapshots.previous_as_of_date,

        ----------  the portfolio
        cast(portfolio.total_positions as bigint) as total_positions,
        portfolio.top10_weight,

        ----------  against the previous date
        cast(changes.holdings_added as bigint) as holdings_added,
        cast(changes.holdings_removed as bigint) as holdings_removed,
        cast(changes.holdings_increased as bigint) as holdings_increased,
        cast(changes.holdings_decreased as bigint) as holdings_decreased,
        cast(changes.holdings_unchanged as bigint) as holdings_unchanged,
        changes.turnover_rate

    from snapshots
    inner join portfolio
        on snapshots.ticker = portfolio.ticker
        and snapshots.source = portfolio.source
        and snapshots.as_of_date = portfolio.as_of_date
    left join changes
        on snapshots.ticker = changes.ticker
        and snapshots.source = changes.source
        and snapshots.as_of_date = changes.as_of_date

)

select * from final
