-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'citizen_hotline', 'hotline_reports', "order_no"
    ) }}
from {{ source('citizen_hotline', 'hotline_reports') }}
