select
    inspection_id,
    licence_no,
    business_name,
    {{ normalise_org_name('business_name') }} as business_name_normalised,
    address,
    county_code,
    inspection_date,
    result,
    result = '不符合' as failed,
    findings,
    {{ lineage_columns('market_regulation', 'food_inspections', 'inspection_id') }}
from {{ source('market_regulation', 'food_inspections') }}
