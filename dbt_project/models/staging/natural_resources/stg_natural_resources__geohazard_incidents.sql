-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'natural_resources', 'geohazard_incidents', "incident_id"
    ) }}
from {{ source('natural_resources', 'geohazard_incidents') }}
