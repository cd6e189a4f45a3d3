-- Which organisation each mention is, as organisation linkage decided (exact identifiers,
-- then Splink on names, places, phones and representatives).
select
    source_department,
    source_feed,
    source_record_id,
    role,
    slot,
    organisation_key,
    matched_on,
    method,
    match_probability
from {{ source('linkage', 'organisation_clusters') }}
