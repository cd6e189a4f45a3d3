-- Every entity a source record was resolved to exists in its table: xref_source_record's
-- entity_key names a row of dim_organisation, dim_person, dim_place, dim_object or fct_event
-- according to entity_kind (a reference a relationships test cannot state).
{{ config(meta={'dagster': {'ref': {'name': 'xref_source_record'}}}) }}  -- the asset it is a check on in Dagster
with entities as (
    select 'organisation' as entity_kind, organisation_key as entity_key from {{ ref('dim_organisation') }}
    union all
    select 'person' as entity_kind, person_key as entity_key from {{ ref('dim_person') }}
    union all
    select 'place' as entity_kind, place_key as entity_key from {{ ref('dim_place') }}
    union all
    select 'object' as entity_kind, object_key as entity_key from {{ ref('dim_object') }}
    union all
    select 'event' as entity_kind, event_key as entity_key from {{ ref('fct_event') }}
)
select x.entity_kind, x.entity_key, x.source_record_id
from {{ ref('xref_source_record') }} as x
left join entities as e on e.entity_kind = x.entity_kind and e.entity_key = x.entity_key
where e.entity_key is null
