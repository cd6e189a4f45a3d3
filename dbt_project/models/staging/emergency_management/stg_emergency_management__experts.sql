-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'emergency_management', 'experts', "expert_id"
    ) }}
from {{ source('emergency_management', 'experts') }}
