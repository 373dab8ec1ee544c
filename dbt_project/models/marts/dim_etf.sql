with

universe as (

    select * from {{ ref('etf_universe') }}

),

snapshots as (

    select * from {{ ref('stg_yahoo__fund_snapshots') }}

),

latest_snapshots as (

    select *
    from (
        select
            snapshots.*,
            row_number() over (
                partition by ticker
                order by as_of_date desc
            ) as recency_rank
        from snapshots
    ) as ranked
    where recency_rank = 1

),

final as (

    select

        ----------  ids
        universe.ticker,

        ----------  descriptive (seed curated, Yahoo fills gaps / Yahoo current, seed fallback)
        coalesce(universe.fund_name, latest_snapshots.fund_name) as fund_name,
        case
            when universe.fund_name is not null then 'seed'
            when latest_snapshots.fund_name is not null then 'yahoo'
        end as fund_name_source,
        coalesce(universe.issuer, latest_snapshots.fund_family) as issuer,
        case
            when universe.issuer is not null then 'seed'
            when latest_snapshots.fund_family is not null then 'yahoo'
        end as issuer_source,
        universe.asset_class,
        coalesce(latest_snapshots.category, universe.category) as category,
        case
            when latest_snapshots.category is not null then 'yahoo'
            when universe.category is not null then 'seed'
        end as category_source,
        universe.sector,
        universe.sector_basket,
        universe.seed_group,

        ----------  structure
        universe.structure,
        universe.files_nport,
        latest_snapshots.exchange,

        ----------  latest Yahoo snapshot
        latest_snapshots.expense_ratio,
        latest_snapshots.inception_date,
        latest_snapshots.total_assets_usd as latest_total_assets_usd,
        latest_snapshots.as_of_date as latest_snapshot_date

    from universe
    left join latest_snapshots
        on universe.ticker = latest_snapshots.ticker

)

select
    ticker,
    fund_name,
    fund_name_source,
    issuer,
    issuer_source,
    asset_class,
    category,
    category_source,
    sector,
    sector_basket,
    seed_group,
    structure,
    files_nport,
    exchange,
    expense_ratio,
    inception_date,
    latest_total_assets_usd,
    latest_snapshot_date
from final
