-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'emergency_management', 'hazard_sources', "hazard_source_code || '/' || cas_no"
    ) }}
from {{ source('emergency_management', 'hazard_sources') }}
