-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'traffic_police', 'traffic_flow', "detector_id || '@' || cast(interval_start as varchar)"
    ) }}
from {{ source('traffic_police', 'traffic_flow') }}
