{#
    flows_unpivot_windows(windows, where='', flow_windows=[...]): fct_etf_flow_windows
    (or a CTE of it) in long form — one row per ticker, day and flow window (of
    '1d', '5d', '20d', 'ytd'; all by default) whose flow is known — so rankings and basket aggregates read one shape:
    flow_window, trading_days, flow_usd, aum_start_usd (AUM at the close before the
    window), flow_pct_aum, aum_usd, return_pct, smart_money_flow_usd and flow_prior_usd
    (the preceding window of equal length; both null for ytd). `where` filters every
    branch (e.g. a date range) before the union.
#}
{% macro flows_unpivot_windows(windows, where='', flow_windows=['1d', '5d', '20d', 'ytd']) %}
    {%- set branches = [
        ('1d', 'cast(1 as bigint)', 'net_flow_usd', 'aum_start_usd', 'flow_pct_aum', 'return_1d_pct', 'smart_money_flow_usd', 'flow_prior_1d_usd'),
        ('5d', 'cast(5 as bigint)', 'flow_5d_usd', 'aum_start_5d_usd', 'flow_5d_pct_aum', 'return_5d_pct', 'smart_money_flow_5d_usd', 'flow_prior_5d_usd'),
        ('20d', 'cast(20 as bigint)', 'flow_20d_usd', 'aum_start_20d_usd', 'flow_20d_pct_aum', 'return_20d_pct', 'smart_money_flow_20d_usd', 'flow_prior_20d_usd'),
        ('ytd', 'trading_days_ytd', 'flow_ytd_usd', 'aum_start_ytd_usd', 'flow_ytd_pct_aum', 'return_ytd_pct', 'null', 'null'),
    ] | selectattr(0, 'in', flow_windows) | list -%}
    {%- for name, days, flow, start, pct, ret, smart, prior in branches %}
    select
        ticker,
        as_of_date,
        '{{ name }}' as flow_window,
        {{ days }} as trading_days,
        {{ flow }} as flow_usd,
        {{ start }} as aum_start_usd,
        {{ pct }} as flow_pct_aum,
        aum_usd,
        {{ ret }} as return_pct,
        {{ 'cast(null as double)' if smart == 'null' else smart }} as smart_money_flow_usd,
        {{ 'cast(null as double)' if prior == 'null' else prior }} as flow_prior_usd
    from {{ windows }}
    where {{ flow }} is not null {{ where }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{% endmacro %}
