{#
    Part C of the current public reports, each investment keyed by a stable security
    identifier so positions can be followed from report to report:
    CUSIP (9 characters, not a placeholder), else ISIN (12), else ticker, else the
    upper-cased issuer name and title. weight = value_usd / the filing's net assets.
#}

with

filings as (

    select * from {{ ref('int_nport_filings_sequenced') }}

),

holdings as (

    select * from {{ ref('stg_edgar__nport_holdings') }}

),

keyed as (

    select
        holdings.accession_number,
        filings.series_id,
        filings.period_end,
        holdings.line_number,
        case
            when length(holdings.cusip) = 9
                and holdings.cusip not in ('000000000', '999999999', 'NONE00000')
                then 'CUSIP:' || holdings.cusip
            when length(holdings.isin) = 12 then 'ISIN:' || holdings.isin
            when holdings.security_ticker is not null then 'TICKER:' || holdings.security_ticker
            else 'NAME:' || upper(coalesce(holdings.security_name, ''))
                || '|' || upper(coalesce(holdings.security_title, ''))
        end as security_key,
        holdings.security_name,
        holdings.security_title,
        holdings.cusip,
        holdings.isin,
        holdings.security_ticker,
        holdings.lei,
        holdings.asset_category,
        holdings.issuer_category,
        holdings.country,
        holdings.payoff_profile,
        holdings.units,
        holdings.balance,
        holdings.value_usd,
        holdings.pct_of_net_assets,
        case
            when filings.net_assets_usd > 0 then holdings.value_usd / filings.net_assets_usd
        end as weight
    from holdings
    inner join filings
        on holdings.accession_number = filings.accession_number

)

select * from keyed
