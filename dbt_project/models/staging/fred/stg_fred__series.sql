with

source as (

    select * from {{ source('fred', 'series') }}

),

renamed as (

    select

        ----------  ids
        upper(series_id) as series_id,
        realtime_start,

        ----------  descriptive
        title,
        units,
        frequency,
        seasonal_adjustment,
        role,
        source_table,
        date_header,

        ----------  coverage
        observation_start,
        observation_end,
        observation_count,
        missing_count,
        median_gap_days,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
