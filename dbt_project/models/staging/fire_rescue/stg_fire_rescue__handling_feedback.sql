-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'fire_rescue', 'handling_feedback', "feedback_id"
    ) }}
from {{ source('fire_rescue', 'handling_feedback') }}
