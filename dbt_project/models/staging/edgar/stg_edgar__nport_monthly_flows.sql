with

source as (

    select * from {{ source('edgar', 'nport_monthly_flows') }}

),

renamed as (

    select

        ----------  ids
        accession_number,
        month_number,

        ----------  dates
        flow_month,

        ----------  numerics
        sales_usd,
        reinvestments_usd,
        -- B.6.c asks for the NAV of shares redeemed, a non-negative amount; some filers
        -- report it with an outflow sign. The amount is kept, the sign normalised.
        abs(redemptions_usd) as redemptions_usd,
        redemptions_usd as redemptions_usd_as_filed,
        coalesce(redemptions_usd < 0, false) as is_redemption_sign_normalized,

        ----------  landing
        _loaded_at as loaded_at

    from source

)

select * from renamed
