with

source as (

    select * from {{ source('etfdb', 'fund_flows') }}

),

renamed as (

    select

        ----------  ids
        upper(trim(ticker)) as ticker,
        as_of_date,
        lower(flow_window) as flow_window,

        ----------  dates
        flows_as_of_date,

        ----------  published figures
        window_label,
        net_flows_usd,
        net_flows_text,

        ----------  landing
        _fetched_at as fetched_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
