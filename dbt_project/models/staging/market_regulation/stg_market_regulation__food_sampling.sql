select
    sample_id,
    business_name,
    {{ normalise_org_name('business_name') }} as business_name_normalised,
    licence_no,
    food_name,
    food_category,
    sampling_date,
    county_code,
    result,
    result = '不符合' as failed,
    failed_items,
    {{ lineage_columns('market_regulation', 'food_sampling', 'sample_id') }}
from {{ source('market_regulation', 'food_sampling') }}
