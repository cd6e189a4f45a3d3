-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'water', 'water_levels', "station_code || '@' || cast(measured_at as varchar)"
    ) }}
from {{ source('water', 'water_levels') }}
