with

source as (

    select * from {{ source('ingest', 'ingest_runs') }}

),

renamed as (

    select

        ----------  ids
        run_id,
        plugin,

        ----------  status
        status,
        params,
        errors,

        ----------  numerics
        rows_landed,
        requests_made,
        payloads as payloads_parsed,

        ----------  timestamps
        started_at,
        finished_at,
        {{ dbt.datediff('started_at', 'finished_at', 'second') }} as duration_seconds

    from source

)

select * from renamed
