{#
    One row per ticker per version of its descriptive attributes (SCD2), from the
    snapshot snp_etf_attributes: [valid_from, valid_to) in data time, valid_to null for
    the current version. Join a dated fact on
    `fact.date >= valid_from and (fact.date < valid_to or valid_to is null)`.
#}

with

versions as (

    select * from {{ ref('snp_etf_attributes') }}

),

final as (

    select

        ----------  ids
        ticker,
        cast(row_number() over (partition by ticker order by valid_from) as bigint) as version_number,

        ----------  descriptive, each with its source
        fund_name,
        fund_name_source,
        issuer,
        issuer_source,
        asset_class,
        asset_class_source,
        category,
        category_source,
        segment,
        segment_source,
        sector,
        sector_basket,
        seed_group,

        ----------  structure
        structure,
        structure_source,
        files_nport,

        ----------  profile figures
        expense_ratio,
        expense_ratio_source,
        inception_date,
        inception_date_source,

        ----------  universe
        in_seed_universe,
        discovered_by,
        listing_status,

        ----------  validity
        valid_from,
        valid_to,
        valid_to is null as is_current

    from versions

)

select * from final
