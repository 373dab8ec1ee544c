{#
    One row per ticker: the current version of each fund's attributes (the SCD2 snapshot
    snp_etf_attributes, valid_to null) with the latest Yahoo snapshot's point-in-time
    facts (exchange, total assets) that change daily and are not versioned.
    History of the versioned attributes: dim_etf_history.
#}

with

versions as (

    select * from {{ ref('snp_etf_attributes') }}

),

current_versions as (

    select * from versions
    where valid_to is null

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
        current_versions.ticker,

        ----------  descriptive, each with its source
        current_versions.fund_name,
        current_versions.fund_name_source,
        current_versions.issuer,
        current_versions.issuer_source,
        current_versions.asset_class,
        current_versions.asset_class_source,
        current_versions.category,
        current_versions.category_source,
        current_versions.segment,
        current_versions.segment_source,
        current_versions.sector,
        current_versions.sector_basket,
        current_versions.seed_group,

        ----------  structure
        current_versions.structure,
        current_versions.structure_source,
        current_versions.files_nport,
        latest_snapshots.exchange,

        ----------  profile figures
        current_versions.expense_ratio,
        current_versions.expense_ratio_source,
        current_versions.inception_date,
        current_versions.inception_date_source,
        latest_snapshots.total_assets_usd as latest_total_assets_usd,
        latest_snapshots.as_of_date as latest_snapshot_date,

        ----------  universe and version
        current_versions.in_seed_universe,
        current_versions.discovered_by,
        current_versions.listing_status,
        current_versions.sec_cik,
        current_versions.sec_series_id,
        current_versions.sec_class_id,
        current_versions.valid_from

    from current_versions
    left join latest_snapshots
        on current_versions.ticker = latest_snapshots.ticker

)

select * from final
