{#
    One row per ticker: the fund's share-report lag in trading days (T vs T-1), the one
    the flow engine applies (int_etf_shares_lag_adjusted), and the evidence for it.

    Detection: a fund reporting L days late has the count change of day t reported
    under day t+L. For every candidate L from 0 to var('shares_lag_max_days') the
    shares-based flow of day t is taken as (SO[t+L] - SO[t+L-1]) x NAV_t and compared
    with the AUM-based flow of day t (int_etf_flows_aum_based, which never reads a share
    count), on the same days for every L (days with a split within max-lag days ahead
    left out). The lag with the fewest days on which the two disagree
    (quality_flows_agree) wins, ties to the smaller lag; a lag other than 0 is taken
    only when it disagrees on at most var('shares_lag_max_disagreement_ratio') of the
    days lag 0 disagrees on, and on at least var('shares_lag_min_evidence_days') fewer
    days. Otherwise, and for funds without total-assets history, the lag is 0.

    A lag listed in var('shares_report_lags') always wins (lag_source 'configured').
    With var('shares_repairs_enabled') false only configured lags apply. A detected
    lag can change when new days arrive: rebuild the flow marts with --full-refresh
    after a fund's lag_source or lag changes.
#}

{{ config(materialized='table') }}

{%- set max_lag = var('shares_lag_max_days') | int %}
{%- set configured = flows_shares_report_lags() %}
{%- set enabled = var('shares_repairs_enabled') %}

with

days as (

    -- only the columns used: this CTE is read twice, so it is materialized
    select ticker, as_of_date, split_ratio, shares_outstanding
    from {{ ref('int_etf_days_aligned') }}

),

aum_flows as (

    select * from {{ ref('int_etf_flows_aum_based') }}

),

tickers as (

    select distinct ticker from days

),

candidates as (

    select
        ticker,
        as_of_date,
        {%- for lag in range(0, max_lag + 1) %}
        {%- if lag == 0 %}
        shares_outstanding
            - lag(shares_outstanding) over (partition by ticker order by as_of_date)
                * coalesce(split_ratio, 1.0) as change_lag_0,
        {%- else %}
        lead(shares_outstanding, {{ lag }}) over (partition by ticker order by as_of_date)
            - {% if lag == 1 %}shares_outstanding{% else %}lead(shares_outstanding, {{ lag - 1 }}) over (partition by ticker order by as_of_date){% endif %}
            as change_lag_{{ lag }},
        {%- endif %}
        {%- endfor %}
        sum(case when coalesce(split_ratio, 1.0) <> 1.0 then 1 else 0 end) over (
            partition by ticker order by as_of_date
            rows between current row and {{ max_lag }} following
        ) as splits_ahead
    from days

),

compared as (

    select
        candidates.*,
        aum_flows.nav,
        aum_flows.aum_flow_usd,
        aum_flows.noise_usd
    from candidates
    inner join aum_flows
        on candidates.ticker = aum_flows.ticker
        and candidates.as_of_date = aum_flows.as_of_date
    where
        candidates.splits_ahead = 0
        {%- for lag in range(0, max_lag + 1) %}
        and candidates.change_lag_{{ lag }} is not null
        {%- endfor %}

),

evidence as (

    select
        ticker,
        count(*) as evidence_days
        {%- for lag in range(0, max_lag + 1) %},
        sum(
            case
                when {{ quality_flows_agree('change_lag_' ~ lag ~ ' * nav', 'aum_flow_usd', 'noise_usd') }}
                    then 0
                else 1
            end
        ) as disagreeing_days_lag_{{ lag }}
        {%- endfor %}
    from compared
    group by ticker

),

per_lag as (

    {%- for lag in range(0, max_lag + 1) %}
    select
        ticker,
        {{ lag }} as lag_days,
        disagreeing_days_lag_{{ lag }} as disagreeing_days,
        disagreeing_days_lag_0 as disagreeing_days_at_0
    from evidence
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

),

best as (

    select
        ticker,
        lag_days,
        disagreeing_days,
        disagreeing_days_at_0,
        row_number() over (
            partition by ticker order by disagreeing_days, lag_days
        ) as lag_rank
    from per_lag

),

detected as (

    select
        ticker,
        case
            when lag_days <> 0
                and disagreeing_days
                    <= {{ var('shares_lag_max_disagreement_ratio') | float }} * disagreeing_days_at_0
                and disagreeing_days_at_0 - disagreeing_days
                    >= {{ var('shares_lag_min_evidence_days') | int }}
                then lag_days
            else 0
        end as detected_lag_days
    from best
    where lag_rank = 1

),

final as (

    select
        ----------  ids
        tickers.ticker,

        ----------  the lag the flow engine applies
        cast(
            {%- if configured | length > 0 %}
            case tickers.ticker
                {%- for ticker, lag in configured.items() | sort %}
                when '{{ ticker }}' then {{ lag }}
                {%- endfor %}
                else {% if enabled %}coalesce(detected.detected_lag_days, 0){% else %}0{% endif %}
            end
            {%- else %}
            {% if enabled %}coalesce(detected.detected_lag_days, 0){% else %}0{% endif %}
            {%- endif %}
            as integer
        ) as shares_report_lag_days,
        case
            {%- if configured | length > 0 %}
            when tickers.ticker in ({% for ticker in configured | sort %}'{{ ticker }}'{{ ', ' if not loop.last }}{% endfor %})
                then 'configured'
            {%- endif %}
            when {{ 'detected.detected_lag_days <> 0' if enabled else 'false' }} then 'detected'
            else 'default'
        end as lag_source,

        ----------  evidence
        cast(detected.detected_lag_days as integer) as detected_lag_days,
        cast(coalesce(evidence.evidence_days, 0) as integer) as evidence_days
        {%- for lag in range(0, max_lag + 1) %},
        cast(evidence.disagreeing_days_lag_{{ lag }} as integer) as disagreeing_days_lag_{{ lag }}
        {%- endfor %}

    from tickers
    left join detected
        on tickers.ticker = detected.ticker
    left join evidence
        on tickers.ticker = evidence.ticker

)

select * from final
