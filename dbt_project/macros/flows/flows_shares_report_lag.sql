{#
    flows_shares_report_lag(ticker_column): the share-report lag of each fund in trading
    days, from var('shares_report_lags') (a mapping ticker -> lag; unlisted tickers 0),
    as a SQL expression. A lag L means a count dated D is the count at the close of the
    trading day L days before D. Lags are whole numbers from 0 to
    flows_max_shares_report_lag(); anything else stops the build with a clear message.
#}
{% macro flows_shares_report_lag(ticker_column) %}
    {%- set lags = flows_shares_report_lags() -%}
    {%- if lags | length == 0 -%}
        0
    {%- else -%}
        case upper({{ ticker_column }})
        {%- for ticker, lag in lags.items() | sort %}
            when '{{ ticker }}' then {{ lag }}
        {%- endfor %}
            else 0
        end
    {%- endif -%}
{% endmacro %}


{#- The configured lags, validated and normalised: {TICKER: lag}. -#}
{% macro flows_shares_report_lags() %}
    {%- set configured = var('shares_report_lags', {}) or {} -%}
    {%- if configured is not mapping -%}
        {{ exceptions.raise_compiler_error("var shares_report_lags must be a mapping ticker -> trading days, got " ~ configured) }}
    {%- endif -%}
    {%- set lags = {} -%}
    {%- for ticker, lag in configured.items() -%}
        {%- if lag is not number or lag != lag | int or lag < 0 or lag > flows_max_shares_report_lag() -%}
            {{ exceptions.raise_compiler_error("var shares_report_lags: lag for " ~ ticker ~ " must be a whole number of trading days from 0 to " ~ flows_max_shares_report_lag() ~ ", got " ~ lag) }}
        {%- endif -%}
        {%- do lags.update({(ticker | string | trim | upper): lag | int}) -%}
    {%- endfor -%}
    {{ return(lags) }}
{% endmacro %}


{% macro flows_max_shares_report_lag() %}
    {{ return(5) }}
{% endmacro %}
