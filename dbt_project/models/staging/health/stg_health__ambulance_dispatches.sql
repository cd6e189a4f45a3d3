-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'health', 'ambulance_dispatches', "dispatch_id"
    ) }}
from {{ source('health', 'ambulance_dispatches') }}
