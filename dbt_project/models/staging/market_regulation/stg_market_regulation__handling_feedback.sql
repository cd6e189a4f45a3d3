-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'market_regulation', 'handling_feedback', "feedback_id"
    ) }}
from {{ source('market_regulation', 'handling_feedback') }}
