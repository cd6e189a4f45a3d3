-- What int_subject_events is built from, event by event and place by place, so that a daily
-- build can tell whose links may have changed since the last (int_subject_events.sql). An
-- event's digest covers the columns int_subject_events carries, whether its type is one of
-- proximity, the organisations (but responders) and objects named in it, and the distance
-- "near" means; a place's covers the organisations and objects at it, and its point (if a feed
-- delivered it) is kept as it is: a place's point moves by a centimetre when it is mentioned
-- again (the mean of its mentions), which changes no event's links but those at the edge.
-- Digests are 64-bit hashes: two states of one key collide once in 2^64.
with named_organisations as (
    select event_key, list(organisation_key order by organisation_key) as organisations
    from {{ ref('bridge_event_organisation') }}
    where role not in {{ organisation_roles_that('responder') }}
    group by event_key
),

named_objects as (
    select event_key, list(object_key order by object_key) as objects
    from {{ ref('bridge_event_object') }}
    group by event_key
),

events as (
    select
        'event' as input,
        e.event_key as key,
        null::double as longitude,
        null::double as latitude,
        hash(
            e.event_type, e.event_type in {{ event_types_that('proximity') }}, e.occurred_at,
            e.delivery_date, e.first_delivery_date, e.due_date, e.resolved_date, e.major_hazard,
            e.source_department, e.place_key, n.organisations, o.objects, {{ var('risk_near_metres') }}
        ) as digest
    from {{ ref('fct_event') }} as e
    left join named_organisations as n using (event_key)
    left join named_objects as o using (event_key)
),

organisations_at as (
    select place_key, list(organisation_key order by organisation_key) as organisations
    from (
        select organisation_key, place_key from {{ ref('bridge_organisation_place') }}
        union
        select organisation_key, place_key from {{ ref('dim_organisation') }}
        where place_key is not null
    )
    group by place_key
),

objects_at as (
    select place_key, list((object_key, kind) order by object_key) as objects
    from {{ ref('dim_object') }}
    where place_key is not null
    group by place_key
),

located as (
    select place_key, longitude, latitude from {{ ref('dim_place') }}
    where location_source = 'delivered'
),

places as (
    select
        'place' as input,
        place_key as key,
        l.longitude,
        l.latitude,
        hash(g.organisations, o.objects) as digest
    from located as l
    full join organisations_at as g using (place_key)
    full join objects_at as o using (place_key)
)

select input, key, longitude, latitude, digest from events
union all
select input, key, longitude, latitude, digest from places
