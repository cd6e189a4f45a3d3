-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'ecology_environment', 'air_quality_hourly', "station_code || '@' || cast(measured_at as varchar)"
    ) }}
from {{ source('ecology_environment', 'air_quality_hourly') }}
