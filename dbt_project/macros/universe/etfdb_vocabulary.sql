{#
    etfdb's vocabulary mapped onto the warehouse's (the seed's): used by
    int_etf_attributes_blended for tickers the seed does not describe.
#}

{% macro etfdb_asset_class(column) -%}
    case lower(trim({{ column }}))
        when 'equity' then 'equity'
        when 'real estate' then 'equity'
        when 'preferred stock' then 'equity'
        when 'bond' then 'bond'
        when 'commodity' then 'commodity'
        when 'currency' then 'currency'
        when 'multi-asset' then 'multi_asset'
        when 'alternatives' then 'alternatives'
        when 'volatility' then 'volatility'
    end
{%- endmacro %}

{% macro etfdb_structure(column) -%}
    case lower(trim({{ column }}))
        when 'etf' then 'open_end_fund'
        when 'uit' then 'uit'
        when 'grantor trust' then 'grantor_trust'
        when 'commodity pool' then 'commodity_pool'
        when 'etn' then 'etn'
    end
{%- endmacro %}
