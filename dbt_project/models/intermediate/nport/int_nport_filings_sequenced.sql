{#
    The current public N-PORT reports (NPORT-P, test submissions excluded), one per
    series and period, each with the series' previous report: the base every
    holdings-change comparison uses. Quarterly public reports make "previous" the
    previous fiscal quarter; months_since_previous shows gaps.
#}

with

filings as (

    select * from {{ ref('stg_edgar__nport_filings') }}
    where is_public and not coalesce(is_test_filing, false)

),

sequenced as (

    select
        filings.*,
        lag(accession_number) over (
            partition by series_id order by period_end
        ) as previous_accession_number,
        lag(period_end) over (partition by series_id order by period_end) as previous_period_end,
        lag(filing_date) over (partition by series_id order by period_end) as previous_filing_date,
        row_number() over (partition by series_id order by period_end desc) as recency_rank
    from filings

),

final as (

    select
        accession_number,
        series_id,
        cik,
        registrant_name,
        series_name,
        submission_type,
        is_amendment,
        is_final_filing,
        period_end,
        fiscal_year_end,
        filing_date,
        total_assets_usd,
        total_liabilities_usd,
        net_assets_usd,
        holdings_count,
        previous_accession_number,
        previous_period_end,
        previous_filing_date,
        {{ dbt.datediff('previous_period_end', 'period_end', 'month') }} as months_since_previous,
        recency_rank = 1 as is_latest
    from sequenced

)

select * from final
