{#
    flows_cost_band_bps(asset_class_column): the basket-arbitrage cost band in bps for a
    fund's asset class, from var('arbitrage_cost_band_bps') (asset class -> bps), else
    var('arbitrage_default_cost_band_bps'). A premium or discount inside the band is too
    small to pay for creating or redeeming a basket (commissions, spreads on the
    underlying, creation fees).
#}
{% macro flows_cost_band_bps(asset_class_column) %}
    {%- set bands = var('arbitrage_cost_band_bps', {}) or {} -%}
    cast(case lower({{ asset_class_column }})
    {%- for asset_class, bps in bands.items() | sort %}
        when '{{ asset_class | lower }}' then {{ bps | float }}
    {%- endfor %}
        else {{ var('arbitrage_default_cost_band_bps') | float }}
    end as double)
{%- endmacro %}
