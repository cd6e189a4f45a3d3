-- One incident, one event: every record that is an event, and the event it is.
-- A department's record of a type it owns (seeds/config/incident_resolution.csv: the fire
-- service's fires, the traffic police's crashes) is an event of its own. Another department's
-- record of that type (a 110 alarm, a 120 call-out, a 12345 order) within the rule's minutes
-- before or after one, and within its metres, reports it (of several, the nearest in time,
-- then in place). A report placed no closer than its county (an address naming only a road)
-- reports the one such record of its county in the window, if there is exactly one.
-- Reports of an incident whose owner's record is not in (yet: late, or quarantined) report the
-- first of them, which stands for the incident until the owner's record arrives.
-- Every other record is an event of its own.
with events as (
    select
        e.event_key,
        e.source_record_id,
        e.source_department,
        e.event_type,
        e.occurred_at,
        p.county_code,
        p.longitude,
        p.latitude,
        p.location_source in ('county_centroid', 'city_centroid') as coarse
    from {{ ref('int_events_placed') }} as e
    left join {{ ref('dim_place') }} as p using (place_key)
),

rules as (select * from {{ ref('incident_resolution') }}),

owned as (
    select e.*
    from events as e
    join rules as r on r.event_type = e.event_type and r.owner_department = e.source_department
),

reports as (
    select e.*, r.within_minutes, r.within_metres
    from events as e
    join rules as r on r.event_type = e.event_type and r.owner_department != e.source_department
),

offsets as (select unnest([-1, 0, 1]) as step),

report_metres as (select distinct event_type, within_metres from reports),

-- A report with a point looks for its owner's records through cells of its rule's metres
-- (macros/distance.sql): its own cell and the eight around it hold every record within them.
-- An equality join on the type alone paired every report with every record of its type in its
-- window (14.9 M pairs on the large city, for 81,000 within the metres).
report_cells as (
    select
        r.*,
        {{ cell_x('r.longitude', 'r.within_metres') }} + ox.step as cx,
        {{ cell_y('r.latitude', 'r.within_metres') }} + oy.step as cy
    from reports as r
    cross join offsets as ox
    cross join offsets as oy
    where not r.coarse
),

owned_cells as (
    select
        o.*,
        m.within_metres,
        {{ cell_x('o.longitude', 'm.within_metres') }} as cx,
        {{ cell_y('o.latitude', 'm.within_metres') }} as cy
    from owned as o
    inner join report_metres as m using (event_type)
),

-- Report and event of one type in one window, with how far apart they are: near it, for a
-- report with a point; in its county, for a coarse one.
{%- set candidate %}
    select
        r.source_record_id,
        r.coarse,
        r.within_metres,
        o.event_key,
        o.occurred_at,
        o.county_code = r.county_code as same_county,
        abs(epoch(r.occurred_at) - epoch(o.occurred_at)) / 60 as minutes_apart,
        {{ haversine_m('r.longitude', 'r.latitude', 'o.longitude', 'o.latitude') }} as metres_apart
{%- endset %}
{%- set in_window %}
            o.event_type = r.event_type
            and o.occurred_at >= r.occurred_at - to_minutes(r.within_minutes)
            and o.occurred_at <= r.occurred_at + to_minutes(r.within_minutes)
{%- endset %}
owned_candidates as (
    {{ candidate }}
    from report_cells as r
    join owned_cells as o
        on
            {{ in_window }}
            and o.within_metres = r.within_metres
            and o.cx = r.cx
            and o.cy = r.cy
    union all
    {{ candidate }}
    from reports as r
    join owned as o
        on
            {{ in_window }}
            and o.county_code = r.county_code
    where r.coarse
),

matched_to_owner as (
    select
        source_record_id,
        arg_min(
            { 'event_key': event_key, 'minutes_apart': minutes_apart, 'metres_apart': metres_apart },
            (minutes_apart, metres_apart, event_key)
        ) as match
    from owned_candidates
    where
        (not coarse and metres_apart <= within_metres)
        or (coarse and same_county)
    group by source_record_id, coarse
    having not coarse or count(*) = 1
),

unmatched as (
    select *
    from reports
    where source_record_id not in (select m.source_record_id from matched_to_owner as m)
),

report_pairs as (
    -- Two unmatched reports of one incident: `earlier` came first (ties: by key).
    select
        later.source_record_id,
        earlier.source_record_id as earlier_record_id,
        earlier.event_key,
        abs(epoch(later.occurred_at) - epoch(earlier.occurred_at)) / 60 as minutes_apart,
        {{ haversine_m('later.longitude', 'later.latitude', 'earlier.longitude', 'earlier.latitude') }}
            as metres_apart,
        later.within_metres
    from unmatched as later
    join unmatched as earlier
        on
            earlier.event_type = later.event_type
            and earlier.occurred_at >= later.occurred_at - to_minutes(later.within_minutes)
            and (earlier.occurred_at, earlier.event_key) < (later.occurred_at, later.event_key)
            and not later.coarse
            and not earlier.coarse
),

near_pairs as (
    select *
    from report_pairs
    where metres_apart <= within_metres
),

first_reports as (
    -- An unmatched report with no earlier one near it stands for its incident.
    select source_record_id
    from unmatched
    where source_record_id not in (select p.source_record_id from near_pairs as p)
),

matched_to_first as (
    select
        p.source_record_id,
        arg_min(
            { 'event_key': p.event_key, 'minutes_apart': p.minutes_apart, 'metres_apart': p.metres_apart },
            (p.minutes_apart, p.metres_apart, p.event_key)
        ) as match
    from near_pairs as p
    where p.earlier_record_id in (select f.source_record_id from first_reports as f)
    group by p.source_record_id
),

matched as (
    select source_record_id, match from matched_to_owner
    union all
    select source_record_id, match from matched_to_first
)

select
    e.source_record_id,
    coalesce(m.match.event_key, e.event_key) as event_key,
    m.source_record_id is null as is_event_record,
    round(m.match.minutes_apart, 1) as minutes_apart,
    round(m.match.metres_apart, 0) as metres_apart
from events as e
left join matched as m using (source_record_id)
