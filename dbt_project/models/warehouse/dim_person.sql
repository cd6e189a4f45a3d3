-- One row per person as linkage resolved them. No full identity number: a keyed hash
-- joins, a masked form shows; birth date and sex come from a valid full number.
select
    person_key,
    max(id_hash) as id_number_hash,
    coalesce(max(id_masked) filter (where id_hash is not null), max(id_masked)) as id_number_masked,
    {{ most_common('name') }} as name,
    max(sex) as sex,
    max(birth_date) as birth_date,
    max(phone) as phone,
    case when max(id_hash) is not null then 'identity_number' else 'masked_number_and_name' end as key_kind,
    count(*) as source_mentions,
    count(distinct source_feed) as source_feeds
from {{ ref('int_person_resolution') }}
group by person_key
