{#
    N-PORT carries no sector. A security maps to a sector when the universe's sector
    funds (seed `sector`) hold it as equity and all of them agree on the sector; a
    security held by sector funds of different sectors, or by none, has no mapping.
#}

with

positions as (

    select * from {{ ref('int_nport_positions') }}

),

sector_funds as (

    select distinct series_id, sector
    from {{ ref('int_nport_ticker_series') }}
    where in_universe and sector is not null and series_id is not null

),

held_by_sector_funds as (

    select distinct
        positions.security_key,
        sector_funds.sector
    from positions
    inner join sector_funds
        on positions.series_id = sector_funds.series_id
    where positions.asset_category in ('EC', 'EP')

),

final as (

    select
        security_key,
        min(sector) as sector
    from held_by_sector_funds
    group by security_key
    having count(distinct sector) = 1

)

select * from final
