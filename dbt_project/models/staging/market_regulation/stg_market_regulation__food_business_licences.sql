select
    licence_no,
    business_name,
    {{ normalise_org_name('business_name') }} as business_name_normalised,
    uscc,
    legal_rep_name,
    legal_rep_id_masked,
    address,
    business_type,
    business_scope,
    county_code,
    issue_date,
    expiry_date,
    phone,
    supervising_authority,
    {{ lineage_columns('market_regulation', 'food_business_licences', 'licence_no') }}
from {{ source('market_regulation', 'food_business_licences') }}
