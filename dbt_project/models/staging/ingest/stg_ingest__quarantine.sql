with

source as (

    select * from {{ source('ingest', 'quarantine') }}

),

renamed as (

    select

        ----------  ids
        run_id,
        plugin,
        request_label,
        payload_sha256,

        ----------  details
        source_url,
        reason,

        ----------  timestamps
        quarantined_at

    from source

)

select * from renamed
