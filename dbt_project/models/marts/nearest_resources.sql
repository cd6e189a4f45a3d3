-- The k nearest available resources of each kind (k: resource_settings.nearest_k) to every open
-- event, every warning in force and every major hazard source.
--
-- Method: great-circle distance on the mean-radius sphere (haversine, 6,371,008.8 m) between
-- WGS-84 points, in metres; ties broken by the resource's key. It is a straight line, not a
-- route. To stay fast, resources are first looked for within nearest_prefilter_km through an
-- equality join on grid cells of that size (a point's cell and its eight neighbours hold
-- every point within the radius). When at least k resources of a kind are within the radius,
-- those are the k nearest of the whole city (anything outside is farther); otherwise that
-- query and kind fall back to every resource of the kind. The answer is the brute-force one
-- either way (tests/marts/test_nearest_resources.py).
-- Open: an event of a type that puts what is near it at risk (vocabulary `proximity`), not
-- resolved, that occurred within resource_open_event_days of the newest delivery day.
{%- set radius_m = var('nearest_prefilter_km') * 1000.0 %}
with newest as (select max(delivery_date) as day from {{ ref('fct_event') }}),

queries as (
    select 'event' as query_kind, e.event_key as query_key, e.event_type as query_type, p.longitude, p.latitude
    from {{ ref('fct_event') }} as e
    join {{ ref('dim_place') }} as p on p.place_key = e.place_key
    cross join newest
    where
        e.event_type in {{ event_types_that('proximity') }}
        and e.resolved_date is null
        and e.occurred_at >= newest.day - to_days({{ var('resource_open_event_days') }})
        and p.longitude is not null
    union all
    select 'warning' as query_kind, w.warning_id as query_key, w.rule_id as query_type, w.longitude, w.latitude
    from {{ ref('warnings') }} as w
    where w.longitude is not null
    union all
    select
        'hazard_source' as query_kind, g.object_key as query_key, 'major_hazard_source' as query_type,
        p.longitude, p.latitude
    from {{ ref('hazard_source_grades') }} as g
    join {{ ref('dim_object') }} as o on o.object_key = g.object_key
    join {{ ref('dim_place') }} as p on p.place_key = o.place_key
    where g.is_major_hazard_source and p.longitude is not null
),

resources as (
    select r.resource_kind, r.resource_key, r.name, r.longitude, r.latitude, s.nearest_k as k
    from {{ ref('emergency_resources') }} as r
    join {{ ref('resource_settings') }} as s using (resource_kind)
    where r.available and r.longitude is not null and s.nearest_k > 0
),

kinds as (select distinct resource_kind, k from resources),

offsets as (select unnest([-1, 0, 1]) as step),

-- 1. Within the radius, through the cells: a query in its cell and the eight around it.
query_cells as (
    select
        q.query_kind,
        q.query_key,
        q.longitude,
        q.latitude,
        {{ cell_x('q.longitude', radius_m) }} + ox.step as cx,
        {{ cell_y('q.latitude', radius_m) }} + oy.step as cy
    from queries as q
    cross join offsets as ox
    cross join offsets as oy
),

resource_cells as (
    select
        r.*,
        {{ cell_x('r.longitude', radius_m) }} as cx,
        {{ cell_y('r.latitude', radius_m) }} as cy
    from resources as r
),

near as (
    select
        q.query_kind, q.query_key, r.resource_kind, r.k, r.resource_key,
        {{ haversine_m('q.longitude', 'q.latitude', 'r.longitude', 'r.latitude') }} as distance_m
    from query_cells as q
    inner join resource_cells as r on r.cx = q.cx and r.cy = q.cy
    where {{ haversine_m('q.longitude', 'q.latitude', 'r.longitude', 'r.latitude') }} <= {{ radius_m }}
),

-- The k nearest of each query and kind when at least k are within the radius: a top-k
-- aggregate, in the order of the final ranking (distance, then key). Each query has hundreds
-- of resources within the radius; sorting them all took most of the model's time.
settled as (
    select
        nearest.query_kind, nearest.query_key, nearest.resource_kind,
        nearest.pick.resource_key, nearest.pick.distance_m
    from (
        select
            query_kind,
            query_key,
            resource_kind,
            unnest(min_by(
                struct_pack(distance_m, resource_key), struct_pack(distance_m, resource_key), k
            )) as pick
        from near
        group by query_kind, query_key, resource_kind, k
        having count(*) >= k
    ) as nearest
),

-- 2. Fewer than k within the radius: every resource of the kind.
settled_pairs as (select distinct query_kind, query_key, resource_kind from settled),

unsettled as (
    select q.*, kinds.resource_kind
    from queries as q
    cross join kinds
    anti join settled_pairs using (query_kind, query_key, resource_kind)
),

fallback as (
    select
        u.query_kind, u.query_key, r.resource_kind, r.resource_key,
        {{ haversine_m('u.longitude', 'u.latitude', 'r.longitude', 'r.latitude') }} as distance_m
    from unsettled as u
    join resources as r using (resource_kind)
    qualify row_number() over (
        partition by u.query_kind, u.query_key, r.resource_kind order by distance_m, r.resource_key
    ) <= r.k
),

answers as (
    select *, 'within_radius' as found_by from settled
    union all
    select *, 'all_resources' as found_by from fallback
)

select
    a.query_kind,
    a.query_key,
    q.query_type,
    a.resource_kind,
    row_number() over (
        partition by a.query_kind, a.query_key, a.resource_kind order by a.distance_m, a.resource_key
    ) as rank,
    a.resource_key,
    r.name as resource_name,
    round(a.distance_m, 1) as distance_m,
    'haversine' as method,
    a.found_by
from answers as a
join queries as q using (query_kind, query_key)
join resources as r using (resource_kind, resource_key)
