-- Generated from the contracts by `safecity contract generate`: edit those, not this.
select
    * exclude (_source_file, _source_row, _delivery_date),
    {{ lineage_columns(
        'public_security', 'standard_addresses', "address_code"
    ) }}
from {{ source('public_security', 'standard_addresses') }}
