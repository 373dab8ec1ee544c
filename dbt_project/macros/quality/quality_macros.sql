{#
    Macros of the share-count checks and dual-method flows (models/intermediate/quality,
    models/marts/quality/_dq__models.yml). Documented in _quality__macros.yml beside it.
#}

{#-
    quality_flows_agree(a, b, noise): SQL boolean, true when two estimates of one day's
    flow agree: |a - b| <= noise + var('flow_concordance_tolerance_pct') % of the larger
    of |a| and |b|. With a tolerance below 100% that also means the same sign, except when
    one of them is within the noise (both "about zero"). Null when an input is null.
-#}
{% macro quality_flows_agree(a, b, noise) -%}
    (
        abs(({{ a }}) - ({{ b }}))
        <= ({{ noise }})
            + {{ var('flow_concordance_tolerance_pct') | float / 100.0 }}
            * greatest(abs({{ a }}), abs({{ b }}))
    )
{%- endmacro %}


{#- The largest share-report lag any fund can have: configured or detected. -#}
{% macro quality_max_shares_report_lag() %}
    {%- set configured = (flows_shares_report_lags().values() | list) + [0] -%}
    {%- set detected = var('shares_lag_max_days') | int if var('shares_repairs_enabled') else 0 -%}
    {%- if detected > flows_max_shares_report_lag() -%}
        {{ exceptions.raise_compiler_error("var shares_lag_max_days must be at most " ~ flows_max_shares_report_lag() ~ ", got " ~ detected) }}
    {%- endif -%}
    {{ return([configured | max, detected] | max) }}
{% endmacro %}


{#-
    quality_value_at_lag(expression, lag_column, partition_by, order_by, max_lag):
    the value of `expression` `lag_column` rows earlier (lag_column a per-row whole number
    from 0 to max_lag), as a case over window lags; negative direction with lead=true.
-#}
{% macro quality_value_at_lag(expression, lag_column, partition_by, order_by, max_lag, lead=false) -%}
    case {{ lag_column }}
        when 0 then {{ expression }}
        {%- for n in range(1, max_lag + 1) %}
        when {{ n }} then {{ 'lead' if lead else 'lag' }}({{ expression }}, {{ n }}) over (
            partition by {{ partition_by }} order by {{ order_by }}
        )
        {%- endfor %}
    end
{%- endmacro %}


{#- quality_rule_text(kind): the detection rule of an anomaly kind with the thresholds in force, as a SQL string literal. -#}
{% macro quality_rule_text(kind) -%}
    {%- set rules = {
        'spike_revert': 'jump of >= ' ~ var('shares_spike_min_pct') ~ '% and >= ' ~ var('shares_spike_min_creation_units') ~ ' creation units, back within ' ~ var('shares_spike_revert_tolerance_pct') ~ '% of the jump within ' ~ var('shares_spike_revert_reports') ~ ' reports, not confirmed by total assets',
        'scale_error': 'count x' ~ var('shares_scale_factor') ~ ' or /' ~ var('shares_scale_factor') ~ ' (within ' ~ var('shares_scale_tolerance_pct') ~ '%), back to the level before within ' ~ var('shares_episode_max_reports') ~ ' reports',
        'split_unadjusted': 'a split went ex but the count kept its pre-split units (within ' ~ var('shares_split_tolerance_pct') ~ '%), rescaled within ' ~ var('shares_episode_max_reports') ~ ' reports',
        'stale': 'count unchanged for >= ' ~ var('shares_stale_min_days') ~ ' trading days while total assets show flows of >= 1 creation unit on >= ' ~ var('shares_stale_min_aum_flow_days') ~ ' of them',
        'not_unit_multiple': 'remainder modulo the creation unit off for <= ' ~ var('shares_unit_max_reports') ~ ' reports, then back',
        'lagged': 'counts describe the close shares_report_lag_days trading days before their date (configured or detected against AUM-based flows)',
    } -%}
    '{{ kind }}: {{ rules[kind] }}'
{%- endmacro %}
