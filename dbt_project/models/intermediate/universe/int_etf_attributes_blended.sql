{#
    One row per ticker of int_etf_universe_members: the fund's descriptive attributes,
    each taken from the first source that has it, with the source named beside it.

    Precedence
        fund name, issuer     seed > etfdb (page, then category listing) > Yahoo
        asset class           seed > etfdb (page, then the listing's category)
        category              etfdb (page, then listing) > Yahoo > seed
        segment               etfdb page (FactSet segment)
        structure             seed > etfdb page (ETF -> open_end_fund, UIT -> uit, ...)
        files N-PORT          seed > implied by structure > listed with a series in the
                              SEC ticker file (registered funds with series file N-PORT)
        expense ratio,
        inception date        etfdb page > Yahoo
    Curated identity (name, issuer, asset class, structure) stays with the seed; the
    classification users compare with ETF sites comes from etfdb first.

    attributes_observed_at (the snapshot's updated_at, so valid_from is data time, not
    run time): for each source that supplies an attribute, the fetch time from which its
    latest values have been unchanged (the start of the last run of identical
    observations); the row's time is the latest of those, i.e. the moment its current
    combination of values was first observable. Seed-only rows have no dated
    observation and use 1970-01-01.
#}

-- a table: the snapshot and the tests read it several times; computing it once is cheaper
{{ config(materialized='table') }}

with

members as (

    select * from {{ ref('int_etf_universe_members') }}

),

seed as (

    select * from {{ ref('etf_universe') }}

),

pages as (

    select * from {{ ref('stg_etfdb__fund_pages') }}

),

listings as (

    select * from {{ ref('stg_etfdb__categories') }}

),

snapshots as (

    select * from {{ ref('stg_yahoo__fund_snapshots') }}

),

-- etfdb fund pages: the latest page, and since when its profile has read the same -----

latest_page as (

    {{ universe_latest_observation('pages', ['fund_name', 'issuer', 'structure', 'expense_ratio', 'inception_date', 'category', 'asset_class', 'segment'], 'fetched_at') }}

),

-- etfdb category listings: one listing per ticker and fetch day (first category by slug) -

primary_listings as (

    select *
    from (
        select
            listings.*,
            row_number() over (
                partition by ticker, as_of_date
                order by category_slug
            ) as listing_rank
        from listings
    ) as ranked
    where listing_rank = 1

),

latest_listing as (

    {{ universe_latest_observation('primary_listings', ['category_name', 'asset_class', 'fund_name'], 'fetched_at') }}

),

-- Yahoo fund snapshots (dated by market date) ------------------------------------------

latest_snapshot as (

    {{ universe_latest_observation('snapshots', ['fund_name', 'fund_family', 'category', 'expense_ratio', 'inception_date'], 'cast(as_of_date as timestamp)') }}

),

-- blend ----------------------------------------------------------------------------------

joined as (

    select
        members.*,
        seed.fund_name as seed_fund_name,
        seed.issuer as seed_issuer,
        seed.asset_class as seed_asset_class,
        seed.category as seed_category,
        seed.structure as seed_structure,
        seed.files_nport as seed_files_nport,
        seed.sector,
        seed.sector_basket,
        seed.seed_group,
        latest_page.fund_name as page_fund_name,
        latest_page.issuer as page_issuer,
        {{ etfdb_asset_class('latest_page.asset_class') }} as page_asset_class,
        latest_page.category as page_category,
        latest_page.segment as page_segment,
        {{ etfdb_structure('latest_page.structure') }} as page_structure,
        latest_page.expense_ratio as page_expense_ratio,
        latest_page.inception_date as page_inception_date,
        latest_page.unchanged_since as page_since,
        latest_listing.fund_name as listing_fund_name,
        {{ etfdb_asset_class('latest_listing.asset_class') }} as listing_asset_class,
        latest_listing.category_name as listing_category,
        latest_listing.unchanged_since as listing_since,
        latest_snapshot.fund_name as yahoo_fund_name,
        latest_snapshot.fund_family as yahoo_fund_family,
        latest_snapshot.category as yahoo_category,
        latest_snapshot.expense_ratio as yahoo_expense_ratio,
        latest_snapshot.inception_date as yahoo_inception_date,
        latest_snapshot.unchanged_since as yahoo_since
    from members
    left join seed
        on members.ticker = upper(seed.ticker)
    left join latest_page
        on members.ticker = latest_page.ticker
    left join latest_listing
        on members.ticker = latest_listing.ticker
    left join latest_snapshot
        on members.ticker = latest_snapshot.ticker

),

sourced as (

    select
        *,
        case
            when seed_fund_name is not null then 'seed'
            when page_fund_name is not null then 'etfdb'
            when listing_fund_name is not null then 'etfdb_listing'
            when yahoo_fund_name is not null then 'yahoo'
        end as fund_name_source,
        case
            when seed_issuer is not null then 'seed'
            when page_issuer is not null then 'etfdb'
            when yahoo_fund_family is not null then 'yahoo'
        end as issuer_source,
        case
            when seed_asset_class is not null then 'seed'
            when page_asset_class is not null then 'etfdb'
            when listing_asset_class is not null then 'etfdb_listing'
        end as asset_class_source,
        case
            when page_category is not null then 'etfdb'
            when listing_category is not null then 'etfdb_listing'
            when yahoo_category is not null then 'yahoo'
            when seed_category is not null then 'seed'
        end as category_source,
        case when page_segment is not null then 'etfdb' end as segment_source,
        case
            when seed_structure is not null then 'seed'
            when page_structure is not null then 'etfdb'
        end as structure_source,
        case
            when page_expense_ratio is not null then 'etfdb'
            when yahoo_expense_ratio is not null then 'yahoo'
        end as expense_ratio_source,
        case
            when page_inception_date is not null then 'etfdb'
            when yahoo_inception_date is not null then 'yahoo'
        end as inception_date_source
    from joined

),

final as (

    select

        ----------  ids
        ticker,

        ----------  descriptive, each with its source
        coalesce(seed_fund_name, page_fund_name, listing_fund_name, yahoo_fund_name) as fund_name,
        fund_name_source,
        coalesce(seed_issuer, page_issuer, yahoo_fund_family) as issuer,
        issuer_source,
        coalesce(seed_asset_class, page_asset_class, listing_asset_class) as asset_class,
        asset_class_source,
        coalesce(page_category, listing_category, yahoo_category, seed_category) as category,
        category_source,
        page_segment as segment,
        segment_source,
        sector,
        sector_basket,
        seed_group,

        ----------  structure
        coalesce(seed_structure, page_structure) as structure,
        structure_source,
        coalesce(
            seed_files_nport,
            page_structure in ('open_end_fund', 'uit'),
            case when sec_series_id is not null then true end
        ) as files_nport,

        ----------  profile figures
        coalesce(page_expense_ratio, yahoo_expense_ratio) as expense_ratio,
        expense_ratio_source,
        coalesce(page_inception_date, yahoo_inception_date) as inception_date,
        inception_date_source,

        ----------  universe
        in_seed_universe,
        discovered_by,
        listing_status,
        sec_cik,
        sec_series_id,
        sec_class_id,

        ----------  timestamps
        coalesce(
            greatest(
                case
                    when 'etfdb' in (fund_name_source, issuer_source, asset_class_source,
                                     category_source, segment_source, structure_source,
                                     expense_ratio_source, inception_date_source)
                        then page_since
                end,
                case
                    when 'etfdb_listing' in (fund_name_source, asset_class_source, category_source)
                        then listing_since
                end,
                case
                    when 'yahoo' in (fund_name_source, issuer_source, category_source,
                                     expense_ratio_source, inception_date_source)
                        then yahoo_since
                end
            ),
            cast('1970-01-01 00:00:00' as timestamp)
        ) as attributes_observed_at

    from sourced

)

select * from final
