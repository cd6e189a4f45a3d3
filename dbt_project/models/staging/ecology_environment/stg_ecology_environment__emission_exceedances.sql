select
    record_id,
    permit_no,
    left(permit_no, 18) as uscc,
    outlet_code,
    pollutant,
    measured_value,
    limit_value,
    unit,
    exceed_multiple,
    measured_at,
    {{ lineage_columns('ecology_environment', 'emission_exceedances', 'record_id') }}
from {{ source('ecology_environment', 'emission_exceedances') }}
