-- Organisations ranked by risk across every silo, each with the reasons for its score.
with profile as ({{ risk_profile('organisation') }}
)

select
    p.subject_key as organisation_key,
    o.name,
    o.uscc,
    o.organisation_type,
    o.county_code,
    pl.township_code,
    pl.longitude,
    pl.latitude,
    p.* exclude (p.subject_key)  -- score, rank, decile, facts, reasons (macro risk_profile)
from profile as p
join {{ ref('dim_organisation') }} as o on o.organisation_key = p.subject_key
left join {{ ref('dim_place') }} as pl on pl.place_key = o.place_key
