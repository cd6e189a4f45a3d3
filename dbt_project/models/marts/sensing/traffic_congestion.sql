-- Congestion episodes from the detectors' 5-minute readings (traffic_police/traffic_flow), each
-- judged against its own detector's normal for that hour of the day: the median speed and
-- occupancy of that detector and hour over the days seen (at least min_days). Congested: speed
-- under speed_ratio of the usual and occupancy occupancy_rise points over it; an episode is
-- consecutive congested intervals lasting hold_minutes or more (seeds/config/congestion_rules.csv,
-- every rule there judged apart).
with rule as (select * from {{ ref('congestion_rules') }}),

flow as (
    select
        detector_id,
        road_name,
        longitude,
        latitude,
        interval_start,
        hour(timezone('{{ city_var("city_timezone") }}', interval_start)) as local_hour,
        volume,
        avg_speed_kmh as speed,
        occupancy_pct as occupancy,
        -- a detector's readings numbered in time: congested readings with consecutive numbers
        -- are one episode
        row_number() over (partition by detector_id order by interval_start) as reading_seq
    from {{ ref('stg_traffic_police__traffic_flow') }}
),

usual as (
    select
        detector_id,
        local_hour,
        median(speed) as usual_speed,
        median(occupancy) as usual_occupancy,
        count(distinct cast(interval_start as date)) as days_seen
    from flow
    group by detector_id, local_hour
),

congested as (
    select
        f.*,
        r.rule_id,
        r.hold_minutes,
        r.interval_minutes,
        u.usual_speed
    from flow as f
    inner join usual as u on u.detector_id = f.detector_id and u.local_hour = f.local_hour
    cross join rule as r
    where
        f.speed < r.speed_ratio * u.usual_speed
        and f.occupancy > u.usual_occupancy + r.occupancy_rise
        and u.days_seen >= r.min_days
),

islands as (
    select
        *,
        reading_seq - row_number() over (partition by rule_id, detector_id order by interval_start) as island
    from congested
),

episodes as (
    select
        rule_id,
        detector_id,
        any_value(hold_minutes) as hold_minutes,
        any_value(interval_minutes) as interval_minutes,
        any_value(road_name) as road_name,
        any_value(longitude) as longitude,
        any_value(latitude) as latitude,
        min(interval_start) as started_at,
        max(interval_start) as ended_at,
        count(*) as intervals,
        min(speed) as lowest_speed_kmh,
        median(usual_speed) as usual_speed_kmh,
        max(occupancy) as peak_occupancy_pct
    from islands
    group by rule_id, detector_id, island
)

select
    detector_id || ':' || rule_id || ':' || strftime(started_at, '%Y%m%dT%H%M') as congestion_id,
    * exclude (hold_minutes, interval_minutes)
from episodes
where intervals * interval_minutes >= hold_minutes
