-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'fire_rescue', 'fire_apparatus', "apparatus_code"
    ) }}
from {{ source('fire_rescue', 'fire_apparatus') }}
