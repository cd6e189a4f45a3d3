-- The figures each resource's register gives, by the resource's key: a shelter's capacity and
-- the people it serves, a team's headcount and availability, a water source's or appliance's
-- state, a station's crew on duty, a depot's stock lines. The latest record of each wins.
-- Which status counts as available is configuration (resource_settings.available_statuses).
with objects as (
    select source_feed, source_record_id, object_key from {{ ref('int_object_resolution') }}
),

shelters as (
    select
        o.object_key as resource_key,
        arg_max(
            {
                capacity: s.capacity_persons, served: s.service_population, area_m2: s.area_m2, water_t: null::double,
                detail: s.shelter_type
            },
            s.delivery_date
        ) as f,
        null::varchar as status
    from {{ ref('stg_emergency_management__emergency_shelters') }} as s
    join objects as o on o.source_feed = s.source_feed and o.source_record_id = s.source_record_id
    group by o.object_key
),

teams as (
    select
        o.object_key as resource_key,
        arg_max(
            {
                capacity: t.headcount,
                served: null::bigint,
                area_m2: null::double,
                water_t: null::double,
                detail: t.specialty
            },
            t.delivery_date
        ) as f,
        arg_max(t.availability, t.delivery_date) as status
    from {{ ref('stg_emergency_management__rescue_teams') }} as t
    join objects as o on o.source_feed = t.source_feed and o.source_record_id = t.source_record_id
    group by o.object_key
),

water as (
    select
        o.object_key as resource_key,
        arg_max(
            {
                capacity: null::bigint,
                served: null::bigint,
                area_m2: null::double,
                water_t: null::double,
                detail: w.source_type
            },
            w.delivery_date
        ) as f,
        arg_max(w.status, w.delivery_date) as status
    from {{ ref('stg_fire_rescue__water_sources') }} as w
    join objects as o on o.source_feed = w.source_feed and o.source_record_id = w.source_record_id
    group by o.object_key
),

apparatus as (
    select
        o.object_key as resource_key,
        arg_max(
            {
                capacity: null::bigint,
                served: null::bigint,
                area_m2: null::double,
                water_t: a.water_t,
                detail: a.apparatus_type
            },
            a.delivery_date
        ) as f,
        arg_max(a.status, a.delivery_date) as status
    from {{ ref('stg_fire_rescue__fire_apparatus') }} as a
    join objects as o on o.source_feed = a.source_feed and o.source_record_id = a.source_record_id
    group by o.object_key
),

depots as (
    select
        o.object_key as resource_key,
        {
            capacity: count(distinct d.item_code)::bigint,
            served: null::bigint,
            area_m2: null::double,
            water_t: null::double,
            detail: string_agg(distinct d.item_name, '、')
        } as f,
        null::varchar as status
    from {{ ref('stg_emergency_management__supply_depots') }} as d
    join objects as o on o.source_feed = d.source_feed and o.source_record_id = d.source_record_id
    group by o.object_key
),

stations as (
    select
        r.organisation_key as resource_key,
        arg_max(
            {
                capacity: s.crew_on_duty,
                served: null::bigint,
                area_m2: null::double,
                water_t: null::double,
                detail: s.station_type
            },
            s.delivery_date
        ) as f,
        null::varchar as status
    from {{ ref('stg_fire_rescue__fire_stations') }} as s
    join {{ ref('int_organisation_resolution') }} as r
        on r.source_feed = s.source_feed and r.source_record_id = s.source_record_id
    group by r.organisation_key
),

figures as (
    select * from shelters
    union all
    select * from teams
    union all
    select * from water
    union all
    select * from apparatus
    union all
    select * from depots
    union all
    select * from stations
)

select
    figures.resource_key,
    f.capacity,
    f.served as people_served,
    f.area_m2,
    f.water_t,
    f.detail,
    figures.status
from figures
