{#
    Item B.5.a per filing, share class and month, from both routes N-PORT lands by (the
    XML's rtn1..rtn3, the data sets' MONTHLY_TOTAL_RETURN1..3; a filing landed both ways is
    read from its XML), months attributed as for flows (month 3 = the report date's).
#}

with

xml_returns as (

    select * from {{ source('edgar', 'nport_monthly_returns') }}

),

xml_accessions as (

    select accession_number from {{ source('edgar', 'nport_filings') }}

),

dataset_returns as (

    select * from {{ ref('stg_sec__nport_ds_monthly_returns') }}

),

dataset_submissions as (

    select * from {{ ref('stg_sec__nport_ds_submissions') }}

),

dataset_months as (

    {{ nport_dataset_months('dataset_returns', 'return_month',
        {'total_return_pct': 'total_return_mon{k}_pct'},
        key_columns=["coalesce(dataset_returns.class_id, '') as class_id"]) }}

),

source as (

    select
        accession_number,
        class_id,
        cast(month_number as integer) as month_number,
        return_month,
        total_return_pct,
        _loaded_at
    from xml_returns

    union all

    select
        accession_number,
        class_id,
        cast(month_number as integer) as month_number,
        return_month,
        total_return_pct,
        _loaded_at
    from dataset_months

),

renamed as (

    select

        ----------  ids
        accession_number,
        nullif(class_id, '') as class_id,
        month_number,

        ----------  dates
        return_month,

        ----------  numerics
        total_return_pct,
        total_return_pct / 100.0 as total_return,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
