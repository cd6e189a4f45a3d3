-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'water', 'waterlogging_points', "point_code"
    ) }}
from {{ source('water', 'waterlogging_points') }}
