with

source as (

    select * from {{ source('fred', 'observations') }}

),

renamed as (

    select

        ----------  ids
        upper(series_id) as series_id,
        observation_date,
        realtime_start,

        ----------  numerics
        value,

        ----------  landing
        _fetched_at as fetched_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
