{#
    Every ticker of the ETF universe and of the SEC's fund ticker file, with the series
    it is a share class of (null when the SEC lists none: the fund files no N-PORT under
    a series, or it is not a registered fund).
#}

with

universe as (

    select * from {{ ref('etf_universe') }}

),

fund_classes as (

    select * from {{ ref('stg_sec__fund_classes') }}

),

final as (

    select
        coalesce(universe.ticker, fund_classes.ticker) as ticker,
        universe.ticker is not null as in_universe,
        universe.fund_name,
        universe.structure,
        universe.files_nport,
        universe.sector,
        fund_classes.series_id,
        fund_classes.cik,
        fund_classes.class_id
    from universe
    full outer join fund_classes
        on universe.ticker = fund_classes.ticker

)

select * from final
