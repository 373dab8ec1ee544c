{#
    flows_divergence_label(flow_z, return_z): the divergence label of a flow z-score
    against a return z-score, with threshold t = var('divergence_z_threshold'):
    inflows_into_weakness (flow_z >= t, return_z <= -t), outflows_into_strength
    (flow_z <= -t, return_z >= t), confirming (both beyond t on the same side), none
    (otherwise); null when either z-score is null.
#}
{% macro flows_divergence_label(flow_z, return_z) %}
    {%- set t = var('divergence_z_threshold') -%}
    case
        when {{ flow_z }} is null or {{ return_z }} is null then null
        when {{ flow_z }} >= {{ t }} and {{ return_z }} <= -{{ t }} then 'inflows_into_weakness'
        when {{ flow_z }} <= -{{ t }} and {{ return_z }} >= {{ t }} then 'outflows_into_strength'
        when {{ flow_z }} >= {{ t }} and {{ return_z }} >= {{ t }} then 'confirming'
        when {{ flow_z }} <= -{{ t }} and {{ return_z }} <= -{{ t }} then 'confirming'
        else 'none'
    end
{%- endmacro %}
