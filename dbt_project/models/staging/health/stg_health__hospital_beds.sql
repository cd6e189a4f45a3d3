-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'health', 'hospital_beds', "report_id"
    ) }}
from {{ source('health', 'hospital_beds') }}
