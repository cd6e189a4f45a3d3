-- One row per organisation as linkage resolved it: the registry's facts where the registry
-- knows it, else what the other silos say most often.
with resolution as (select * from {{ ref('int_organisation_resolution') }}),

mentions as (select * from {{ ref('int_organisation_mentions') }}),

joined as (
    select r.organisation_key, r.matched_on, m.*
    from resolution as r
    join mentions as m using (source_record_id, role, slot)
),

persons as (
    -- The people the records say represent the organisation (the mappings' represents relations).
    select p.source_record_id, rel.to_role as role, p.person_key
    from {{ ref('int_person_resolution') }} as p
    join {{ ref('int_mention_relations') }} as rel
        on rel.source_feed = p.source_feed and rel.relation = 'represents' and rel.from_role = p.role
),

premises as (
    -- The organisation's most mentioned place with a delivered point, else any place of it.
    select
        r.organisation_key,
        arg_min(p.place_key, (-((p.location_source = 'delivered')::int * 1000000 + p.source_mentions), p.place_key))
            as place_key
    from resolution as r
    join {{ ref('int_place_resolution') }} as pm using (source_record_id)
    join {{ ref('dim_place') }} as p on p.place_key = pm.place_key
    group by r.organisation_key
)

select
    j.organisation_key,
    max(j.uscc) as uscc,
    coalesce(
        {{ most_common('j.name', where="j.role in " ~ organisation_roles_that('register')) }},
        {{ most_common('j.name') }}
    ) as name,
    count(distinct j.name) as name_variants,
    max(j.licence_no) as licence_no,
    max(j.industry_code) as industry_code,
    coalesce(
        max(j.organisation_type) filter (where j.role in {{ organisation_roles_that('register') }}),
        {{ most_common('j.organisation_type') }}
    ) as organisation_type,
    max(p.person_key) as legal_rep_person_key,
    any_value(pr.place_key) as place_key,
    coalesce(
        max(j.county_code) filter (where j.role in {{ organisation_roles_that('register') }}),
        {{ most_common('j.county_code') }}
    ) as county_code,
    min(j.matched_on) as key_kind,
    count(*) as source_mentions,
    count(distinct j.source_feed) as source_feeds,
    min(j.delivery_date) as first_seen,
    max(j.delivery_date) as last_seen
from joined as j
left join persons as p using (source_record_id, role)
left join premises as pr using (organisation_key)
group by j.organisation_key
