-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'meteorology', 'weather_observations', "station_code || '@' || cast(observed_at as varchar)"
    ) }}
from {{ source('meteorology', 'weather_observations') }}
