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
    lag can change when new days arrive: the share-count checks rebuild that fund whole
    (int_shares_outstanding_normalized); rebuild the flow marts with --full-refresh.

    Incremental (macros/quality/quality_incremental.sql): each fund's counts over the days
    before evidence_settled_before (the latest day less
    var('shares_evidence_settle_days')) are its state; a run counts the days from the
    previous settled date on.
#}

{{ config(materialized='incremental', unique_key='ticker') }}

{%- set max_lag = var('shares_lag_max_days') | int %}
{%- set configured = flows_shares_report_lags() %}
{%- set enabled = var('shares_repairs_enabled') %}
{%- set counts = ['evidence_days'] %}
{%- for lag in range(0, max_lag + 1) %}{% do counts.append('disagreeing_days_lag_' ~ lag) %}{% endfor %}
{%- set read_from = quality_evidence_read_from() %}

with

days as (

    -- only the columns used: this CTE is read twice, so it is materialized
    select ticker, as_of_date, split_ratio, shares_outstanding
    from {{ ref('int_etf_days_aligned') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', read_from) }}

),

aum_flows as (

    select * from {{ ref('int_etf_flows_aum_based') }}
    where 1 = 1 {{ flows_date_filter('as_of_date', read_from) }}

),

settled as (

    select {{ quality_settled_before(ref('int_etf_days_aligned')) }} as settled_before

),

{% if read_from is not none -%}
previous as (

    -- each fund's state: its settled counts and the date they run to
    select * from {{ this }}

),
{%- endif %}

tickers as (

    select distinct ticker from days
    {%- if read_from is not none %}
    union
    select ticker from previous
    {%- endif %}

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
    {%- if read_from is not none %}
    left join previous
        on candidates.ticker = previous.ticker
    {%- endif %}
    where
        candidates.splits_ahead = 0
        {%- for lag in range(0, max_lag + 1) %}
        and candidates.change_lag_{{ lag }} is not null
        {%- endfor %}
        {%- if read_from is not none %}
        -- days before the fund's settled date are in its settled counts already
        and {{ quality_from_bound('candidates', 'previous.evidence_settled_before') }}
        {%- endif %}

),

counted as (

    -- per fund: the days counted in this run (recent_), and those of them now settled
    select
        compared.ticker,
        {%- for lag in range(-1, max_lag + 1) %}
        {%- set name = 'evidence_days' if lag < 0 else 'disagreeing_days_lag_' ~ lag %}
        {%- set counted = '1' if lag < 0 else 'case when ' ~ quality_flows_agree('change_lag_' ~ lag ~ ' * nav', 'aum_flow_usd', 'noise_usd') ~ ' then 0 else 1 end' %}
        sum({{ counted }}) as recent_{{ name }},
        sum(case when compared.as_of_date < settled.settled_before then {{ counted }} else 0 end)
            as settling_{{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from compared
    cross join settled
    group by compared.ticker

),

evidence as (

    select
        tickers.ticker,
        settled.settled_before as evidence_settled_before,
        {{ quality_evidence_counts(counts, read_from) }}
    from tickers
    cross join settled
    left join counted
        on tickers.ticker = counted.ticker
    {%- if read_from is not none %}
    left join previous
        on tickers.ticker = previous.ticker
    {%- endif %}

),

per_lag as (

    {%- for lag in range(0, max_lag + 1) %}
    select
        ticker,
        {{ lag }} as lag_days,
        disagreeing_days_lag_{{ lag }} as disagreeing_days,
        disagreeing_days_lag_0 as disagreeing_days_at_0
    from evidence
    where evidence_days > 0
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
        evidence.ticker,

        ----------  the lag the flow engine applies
        cast(
            {%- if configured | length > 0 %}
            case evidence.ticker
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
            when evidence.ticker in ({% for ticker in configured | sort %}'{{ ticker }}'{{ ', ' if not loop.last }}{% endfor %})
                then 'configured'
            {%- endif %}
            when {{ 'detected.detected_lag_days <> 0' if enabled else 'false' }} then 'detected'
            else 'default'
        end as lag_source,

        ----------  evidence (disagreeing days null without any)
        cast(detected.detected_lag_days as integer) as detected_lag_days,
        cast(evidence.evidence_days as integer) as evidence_days
        {%- for lag in range(0, max_lag + 1) %},
        cast(case when evidence.evidence_days > 0 then evidence.disagreeing_days_lag_{{ lag }} end as integer)
            as disagreeing_days_lag_{{ lag }}
        {%- endfor %},

        ----------  state: the counts over the days before evidence_settled_before
        evidence.evidence_settled_before
        {%- for name in counts %},
        cast(evidence.settled_{{ name }} as integer) as settled_{{ name }}
        {%- endfor %}

    from evidence
    left join detected
        on evidence.ticker = detected.ticker

)

select * from final
