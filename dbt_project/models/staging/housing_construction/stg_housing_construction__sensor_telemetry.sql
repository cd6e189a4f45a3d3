-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'housing_construction', 'sensor_telemetry', "device_id || '/' || message_id"
    ) }}
from {{ source('housing_construction', 'sensor_telemetry') }}
