select
    inspection_id,
    unit_name,
    {{ normalise_org_name('unit_name') }} as unit_name_normalised,
    uscc,
    address,
    inspection_date,
    result,
    result = '发现隐患' as hazard_found,
    hazard_description,
    hazard_level,
    rectify_deadline,
    rectify_status,
    rectified_date,
    longitude,
    latitude,
    county_code,
    {{ lineage_columns('fire_rescue', 'fire_inspections', 'inspection_id') }}
from {{ source('fire_rescue', 'fire_inspections') }}
