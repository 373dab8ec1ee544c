{#
    flows_cost_band_bps(asset_class_column): the basket-arbitrage cost band in bps for a
    fund's asset class, from var('arbitrage_cost_band_bps') (asset class -> bps), else
    var('arbitrage_default_cost_band_bps'). A premium or discount inside the band is too
    small to pay for creating or redeeming a basket (commissions, spreads on the
    underlying, creation fees).
#}
{% macro flows_cost_band_bps(asset_class_column) %}
    {{- bps_by_asset_class(asset_class_column, var('arbitrage_cost_band_bps', {}),
                           var('arbitrage_default_cost_band_bps')) -}}
{%- endmacro %}


{#-
    bps_by_asset_class(asset_class_column, bands, default): a double, the bps `bands`
    (asset class -> bps) gives the column's asset class (case-insensitive), else `default`.
-#}
{% macro bps_by_asset_class(asset_class_column, bands, default) %}
    cast(case lower({{ asset_class_column }})
    {%- for asset_class, bps in (bands or {}).items() | sort %}
        when '{{ asset_class | lower }}' then {{ bps | float }}
    {%- endfor %}
        else {{ default | float }}
    end as double)
{%- endmacro %}
