select
    hazard_id,
    uscc,
    enterprise_name,
    {{ normalise_org_name('enterprise_name') }} as enterprise_name_normalised,
    found_date,
    hazard_level,
    description,
    rectify_deadline,
    status,
    rectified_date,
    county_code,
    {{ lineage_columns('emergency_management', 'hidden_hazards', 'hazard_id') }}
from {{ source('emergency_management', 'hidden_hazards') }}
