{#
    One row per ticker per date an issuer published the fund's share count: the count and
    the NAV the flow engine takes first (ahead of any vendor).

    NAV: the one the file publishes (State Street's NAV history), else total net assets /
    shares, else the holdings' market values / shares (nav_method says which). iShares
    holdings files carry no NAV; their market values summed are the fund's net assets
    to within a few basis points (IVV, 2022-12-30: weights sum to 100.02 %), plenty for
    ΔSO x NAV, and premiums against it are that precise too.

    A ticker landed by two issuer plugins keeps one source per date (the first by name),
    so every downstream join is one-to-one.
#}

with

fund_days as (

    select * from {{ ref('stg_issuers__fund_days') }}
    where shares_outstanding > 0

),

ranked as (

    select
        fund_days.*,
        row_number() over (partition by ticker, as_of_date order by source) as source_rank
    from fund_days

),

final as (

    select
        ----------  ids
        ticker,
        as_of_date,
        source as shares_source,

        ----------  the issuer's figures
        shares_outstanding,
        coalesce(
            nav_published,
            total_net_assets_usd / shares_outstanding,
            holdings_market_value_usd / shares_outstanding
        ) as nav,
        case
            when nav_published is not null then 'published'
            when total_net_assets_usd is not null then 'net_assets_per_share'
            when holdings_market_value_usd is not null then 'holdings_value_per_share'
        end as nav_method,
        coalesce(total_net_assets_usd, holdings_market_value_usd) as net_assets_usd

    from ranked
    where source_rank = 1

)

select * from final
