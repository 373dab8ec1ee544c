{#
    One row per series in the SEC's fund ticker file: its tickers. N-PORT reports
    series-level figures, so a series with share classes besides its ETF (Vanguard's ETF
    share classes of mutual funds) reports flows for all of them together.
#}

with

ticker_series as (

    select * from {{ ref('int_nport_ticker_series') }}
    where series_id is not null

),

final as (

    select
        series_id,
        coalesce(
            min(case when in_universe then ticker end),
            min(ticker)
        ) as ticker,
        {{ dbt.listagg("case when in_universe then ticker end", "','", "order by ticker") }}
            as etf_tickers,
        {{ dbt.listagg("ticker", "','", "order by ticker") }} as series_tickers,
        count(*) as share_classes,
        sum(case when in_universe then 1 else 0 end) as universe_tickers
    from ticker_series
    group by series_id

)

select * from final
