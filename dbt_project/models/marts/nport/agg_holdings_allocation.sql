{#
    Each report's allocation by asset category, issuer category, country and sector.
    Every position falls in exactly one bucket per dimension (unreported values in
    "(not reported)", securities without a sector mapping in "(no sector mapping)"), so
    a report's weights add up to the same total in every dimension.
#}

with

filings as (

    select * from {{ ref('int_nport_filings_sequenced') }}

),

positions as (

    select * from {{ ref('int_nport_positions') }}

),

sectors as (

    select * from {{ ref('int_nport_security_sectors') }}

),

series_tickers as (

    select * from {{ ref('int_nport_series_tickers') }}

),

by_dimension as (

    select accession_number, 'asset_category' as dimension,
           coalesce(asset_category, '(not reported)') as bucket, value_usd, weight
    from positions
    union all
    select accession_number, 'issuer_category' as dimension,
           coalesce(issuer_category, '(not reported)') as bucket, value_usd, weight
    from positions
    union all
    select accession_number, 'country' as dimension,
           coalesce(country, '(not reported)') as bucket, value_usd, weight
    from positions
    union all
    select positions.accession_number, 'sector' as dimension,
           coalesce(sectors.sector, '(no sector mapping)') as bucket,
           positions.value_usd, positions.weight
    from positions
    left join sectors
        on positions.security_key = sectors.security_key

),

allocation as (

    select
        accession_number,
        dimension,
        bucket,
        count(*) as positions,
        -- exact decimal sums: float sums depend on thread order, so rebuilds would differ
        cast(sum(cast(value_usd as decimal(38, 4))) as double) as value_usd,
        cast(sum(cast(weight as decimal(38, 12))) as double) as weight
    from by_dimension
    group by accession_number, dimension, bucket

),

final as (

    select
        filings.series_id,
        filings.period_end,
        allocation.dimension,
        allocation.bucket,
        case
            when allocation.dimension = 'asset_category' then
                case allocation.bucket
                    when 'EC' then 'Equity-common'
                    when 'EP' then 'Equity-preferred'
                    when 'DBT' then 'Debt'
                    when 'STIV' then 'Short-term investment vehicle'
                    when 'RA' then 'Repurchase agreement'
                    when 'ABS-MBS' then 'ABS-mortgage backed security'
                    when 'ABS-APCP' then 'ABS-asset backed commercial paper'
                    when 'ABS-CBDO' then 'ABS-collateralized bond/debt obligation'
                    when 'ABS-O' then 'ABS-other'
                    when 'DCO' then 'Derivative-commodity'
                    when 'DCR' then 'Derivative-credit'
                    when 'DE' then 'Derivative-equity'
                    when 'DFE' then 'Derivative-foreign exchange'
                    when 'DIR' then 'Derivative-interest rate'
                    when 'DO' then 'Derivative-other'
                    when 'SN' then 'Structured note'
                    when 'LON' then 'Loan'
                    when 'COMM' then 'Commodity'
                    when 'RE' then 'Real estate'
                    else allocation.bucket
                end
            when allocation.dimension = 'issuer_category' then
                case allocation.bucket
                    when 'CORP' then 'Corporate'
                    when 'UST' then 'U.S. Treasury'
                    when 'USGA' then 'U.S. government agency'
                    when 'USGSE' then 'U.S. government sponsored entity'
                    when 'MUN' then 'Municipal'
                    when 'NUSS' then 'Non-U.S. sovereign'
                    when 'PF' then 'Private fund'
                    when 'RF' then 'Registered fund'
                    else allocation.bucket
                end
            else allocation.bucket
        end as bucket_label,
        series_tickers.ticker,
        filings.accession_number,
        cast(allocation.positions as bigint) as positions,
        allocation.value_usd,
        allocation.weight
    from allocation
    inner join filings
        on allocation.accession_number = filings.accession_number
    left join series_tickers
        on filings.series_id = series_tickers.series_id

)

select * from final
