-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'command_centre', 'supervision_notices', "notice_id"
    ) }}
from {{ source('command_centre', 'supervision_notices') }}
