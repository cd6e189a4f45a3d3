select
    hazard_source_code,
    cas_no,
    uscc,
    enterprise_name,
    {{ normalise_org_name('enterprise_name') }} as enterprise_name_normalised,
    installation_name,
    chemical_name,
    quantity_t,
    critical_quantity_t,
    exposed_people,
    county_code,
    longitude,
    latitude,
    record_date,
    {{ lineage_columns('emergency_management', 'hazard_sources', "hazard_source_code || '/' || cas_no") }}
from {{ source('emergency_management', 'hazard_sources') }}
