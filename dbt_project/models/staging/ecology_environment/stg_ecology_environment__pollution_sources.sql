select
    permit_no,
    -- A discharge permit number begins with its holder's credit code.
    coalesce(uscc, left(permit_no, 18)) as uscc,
    unit_name,
    {{ normalise_org_name('unit_name') }} as unit_name_normalised,
    industry_code,
    address,
    county_code,
    longitude,
    latitude,
    management_level,
    outlet_count,
    main_pollutants,
    valid_from,
    valid_to,
    {{ lineage_columns('ecology_environment', 'pollution_sources', 'permit_no') }}
from {{ source('ecology_environment', 'pollution_sources') }}
