-- Places (addresses and points) ranked by the risk of what happened at or near them.
with profile as ({{ risk_profile('place') }}
)

select
    p.subject_key as place_key,
    pl.standard_address,
    pl.county_code,
    pl.township_code,
    pl.longitude,
    pl.latitude,
    p.* exclude (p.subject_key)  -- score, rank, decile, facts, reasons (macro risk_profile)
from profile as p
join {{ ref('dim_place') }} as pl on pl.place_key = p.subject_key
