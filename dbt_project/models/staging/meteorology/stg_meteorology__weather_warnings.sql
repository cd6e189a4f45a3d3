-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'meteorology', 'weather_warnings', "warning_id"
    ) }}
from {{ source('meteorology', 'weather_warnings') }}
