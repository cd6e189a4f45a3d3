-- Townships ranked by the risk in them, for grid-based management at the township level.
with profile as ({{ risk_profile('township') }}
)

select
    p.subject_key as township_code,
    t.name as township_name,
    t.county_code,
    p.* exclude (p.subject_key)  -- score, rank, decile, facts, reasons (macro risk_profile)
from profile as p
left join {{ ref('dim_admin_division') }} as t on t.division_code = p.subject_key
