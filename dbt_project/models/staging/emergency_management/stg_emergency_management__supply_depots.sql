-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'emergency_management', 'supply_depots', "depot_code || '/' || item_code"
    ) }}
from {{ source('emergency_management', 'supply_depots') }}
