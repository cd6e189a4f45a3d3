-- Which events concern which organisation, place and monitoring station: the join every
-- risk profile, warning rule and accuracy measure counts on. An organisation is concerned by
-- the events it is named in (except as the responding fire station) and by those at or near
-- its premises; a place by those at or near it; a station by the air-quality episodes there; an
-- object (a waterlogging point, a geological-hazard point, an installation) by the events naming
-- it and those at or near its place.
-- "Near" is within var('risk_near_metres') of the point.
--
-- Built by event: a daily build recomputes the links of the events something changed for and
-- replaces those events' rows (the replace_series_from strategy without an order,
-- macros/incremental.sql). It compares what it is built from (int_subject_event_inputs: a
-- digest per event and per place, and each place's point) with what the rows were built from
-- (kept beside them by the post-hook, in the same transaction) and takes each event whose own
-- digest changed or whose place changed, each event near a place (now or before) whose
-- organisations or objects changed, and each event a moved place is near now and was not, or
-- was and is not. An event's links depend on nothing else.
-- depends_on: {{ ref('int_subject_event_inputs') }}
{{ config(
    materialized='incremental',
    incremental_strategy='replace_series_from',
    unique_key=['event_key'],
    post_hook="create or replace table {{ built_from(this) }} as select * from {{ ref('int_subject_event_inputs') }}",
) }}

with all_events as (
    select
        e.event_key, e.event_type, e.occurred_at, e.delivery_date, e.first_delivery_date, e.due_date, e.resolved_date,
        e.major_hazard, e.source_department, e.place_key
    from {{ ref('fct_event') }} as e
),

-- Only points a feed delivered: a county centre stands in for an unknown location and is near nothing.
located_places as (
    select place_key, longitude, latitude from {{ ref('dim_place') }}
    where location_source = 'delivered'
),
{% if is_incremental() and adapter.get_relation(this.database, this.schema, built_from(this).identifier) is not none %}
changed_inputs as (
    select
        coalesce(latest.input, built.input) as input,
        coalesce(latest.key, built.key) as key,
        (latest.digest is distinct from built.digest) as digest_changed
    from {{ ref('int_subject_event_inputs') }} as latest
    full join {{ built_from(this) }} as built on built.input = latest.input and built.key = latest.key
    where
        latest.digest is distinct from built.digest
        or latest.longitude is distinct from built.longitude
        or latest.latitude is distinct from built.latitude
),

-- places whose point, or organisations and objects at it, changed
changed_places as (
    select key as place_key, digest_changed as subjects_changed from changed_inputs
    where input = 'place'
),

all_located_events as (
    select e.event_key, p.longitude, p.latitude from all_events as e join located_places as p using (place_key)
),

changed_located_places as (
    select place_key, longitude, latitude from located_places
    where place_key in (select c.place_key from changed_places as c)
),

near_now as (
    {{ pairs_within('all_located_events', 'changed_located_places', var('risk_near_metres')) }}
),

near_before as (
    select event_key, subject_key as place_key from {{ this }}
    where subject_kind = 'place' and subject_key in (select c.place_key from changed_places as c)
),

-- Events near a place (before or now) whose organisations or objects changed, and those a
-- moved place is near now and was not, or was and is not.
near_changed as (
    select coalesce(n.event_key, b.event_key) as event_key
    from near_now as n
    full join near_before as b on b.event_key = n.event_key and b.place_key = n.place_key
    join changed_places as c on c.place_key = coalesce(n.place_key, b.place_key)
    where c.subjects_changed or n.event_key is null or b.event_key is null
),

-- those, and the events that changed or whose place changed (one column each: sqlfluff's
-- AM07 miscounts them)
recompute as (
    select key as event_key from changed_inputs  -- noqa: AM07
    where input = 'event'
    union
    select event_key from all_events
    where place_key in (select c.place_key from changed_places as c)
    union
    select event_key from near_changed
),
{% elif is_incremental() %}
-- what the rows were built from is not known: every event again
recompute as (
    select event_key from all_events
    union
    select event_key from {{ this }}
),
{% endif %}

events as (
    select * from all_events
    {%- if is_incremental() %}
    where event_key in (select r.event_key from recompute as r)
    {%- endif %}
),

located_events as (
    select e.event_key, p.longitude, p.latitude from events as e join located_places as p using (place_key)
),

near as (
    {{ pairs_within('located_events', 'located_places', var('risk_near_metres')) }}
),

organisation_places as (
    select organisation_key, place_key from {{ ref('bridge_organisation_place') }}
    union
    select organisation_key, place_key from {{ ref('dim_organisation') }}
    where place_key is not null
),

links as (
    -- A place is concerned only by the events near it, each pair once in `near`: most of the
    -- rows, with nothing to merge. An organisation or an object can be named in an event and
    -- near it too: one row, with the first relation.
    select 'place' as subject_kind, n.place_key as subject_key, n.event_key, 'near' as relation from near as n
    union all
    select 'station' as subject_kind, s.object_key as subject_key, e.event_key, 'at' as relation
    from {{ ref('dim_object') }} as s
    join events as e on e.place_key = s.place_key
    where s.kind = 'monitoring_station' and e.event_type = 'air_quality_episode'
    union all
    select subject_kind, subject_key, event_key, min(relation) as relation
    from (
        select 'organisation' as subject_kind, b.organisation_key as subject_key, b.event_key, 'named' as relation
        from {{ ref('bridge_event_organisation') }} as b
        join events as e on e.event_key = b.event_key
        where b.role not in {{ organisation_roles_that('responder') }}
        union all
        select 'organisation' as subject_kind, o.organisation_key as subject_key, n.event_key, 'near' as relation
        from near as n
        join organisation_places as o on o.place_key = n.place_key
        join events as e on e.event_key = n.event_key
        where e.event_type in {{ event_types_that('proximity') }}
        union all
        select 'object' as subject_kind, b.object_key as subject_key, b.event_key, 'named' as relation
        from {{ ref('bridge_event_object') }} as b
        join events as e on e.event_key = b.event_key
        union all
        select 'object' as subject_kind, o.object_key as subject_key, n.event_key, 'near' as relation
        from near as n
        join {{ ref('dim_object') }} as o on o.place_key = n.place_key
    )
    group by all
)

-- One row per subject and event, however many ways they are linked.
select l.subject_kind, l.subject_key, l.relation, e.*{% if is_incremental() %}, false as is_replace_marker{% endif %}
from links as l
join events as e using (event_key)
{%- if is_incremental() %}
-- one marker per event recomputed: its rows built before are replaced, also those now gone
union all by name
select event_key, true as is_replace_marker from recompute
{%- endif %}
