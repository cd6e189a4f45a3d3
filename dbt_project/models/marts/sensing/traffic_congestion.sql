-- Congestion episodes from the detectors' 5-minute readings (traffic_police/traffic_flow), each
-- judged against its own detector's normal for that hour of the day: the median speed and
-- occupancy of that detector and hour over the days seen (at least min_days). Congested: speed
-- under speed_ratio of the usual and occupancy occupancy_rise points over it; an episode is
-- consecutive congested readings of a detector (a missing reading does not end one, a reading
-- that is not congested does) lasting hold_minutes or more (seeds/config/congestion_rules.csv,
-- every rule there judged apart).
--
-- Built for the size of the feed (tens of millions of readings): no step sorts every reading.
-- The local hour and day come from the distinct quarter hours of the feed, not from a time-zone
-- conversion of each reading; a congested reading's number among its detector's readings is the
-- readings of the hours before it (counted per hour) plus those of its own hour up to it.
with rule as (select * from {{ ref('congestion_rules') }}),

-- Every time zone's offset is a multiple of 15 minutes: a quarter hour has one local hour and day.
quarter_hours as (
    select
        quarter_hour,
        hour(local_time) as local_hour,
        cast(local_time as date) as local_date
    from (
        select
            quarter_hour,
            timezone('{{ city_var("city_timezone") }}', to_timestamp(quarter_hour * 900)) as local_time
        from (
            select distinct cast(epoch(interval_start) as bigint) // 900 as quarter_hour
            from {{ ref('stg_traffic_police__traffic_flow') }}
        )
    )
),

-- Not materialised: each use reads the lake again, which costs less than keeping every reading.
flow as not materialized (
    select
        f.detector_id,
        f.interval_start,
        f.avg_speed_kmh as speed,
        f.occupancy_pct as occupancy,
        q.local_hour,
        q.local_date
    from {{ ref('stg_traffic_police__traffic_flow') }} as f
    inner join quarter_hours as q on q.quarter_hour = cast(epoch(f.interval_start) as bigint) // 900
),

usual as (
    select
        detector_id,
        local_hour,
        median(speed) as usual_speed,
        median(occupancy) as usual_occupancy,
        count(distinct local_date) as days_seen
    from flow
    group by detector_id, local_hour
),

congested as (
    select
        f.detector_id,
        f.interval_start,
        f.speed,
        f.occupancy,
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

-- a detector's readings before each hour (of the epoch) it has readings in
readings_before_hour as (
    select
        detector_id,
        hour_number,
        coalesce(sum(readings) over (
            partition by detector_id order by hour_number rows between unbounded preceding and 1 preceding
        ), 0) as readings_before
    from (
        select
            detector_id,
            cast(epoch(interval_start) as bigint) // 3600 as hour_number,
            count(*) as readings
        from {{ ref('stg_traffic_police__traffic_flow') }}
        group by all
    )
),

congested_readings as (
    select distinct
        detector_id,
        interval_start,
        cast(epoch(interval_start) as bigint) // 3600 as hour_number
    from congested
),

-- each congested reading's place among its hour's readings (no two readings of a detector share
-- a time: the feed's primary key), and where the detector was then
in_its_hour as (
    select
        c.detector_id,
        c.interval_start,
        any_value(c.hour_number) as hour_number,
        count(*) as readings_up_to,
        any_value(f.road_name) filter (where f.interval_start = c.interval_start) as road_name,
        any_value(f.longitude) filter (where f.interval_start = c.interval_start) as longitude,
        any_value(f.latitude) filter (where f.interval_start = c.interval_start) as latitude
    from congested_readings as c
    inner join {{ ref('stg_traffic_police__traffic_flow') }} as f
        on
            f.detector_id = c.detector_id
            and cast(epoch(f.interval_start) as bigint) // 3600 = c.hour_number
            and f.interval_start <= c.interval_start
    group by c.detector_id, c.interval_start
),

-- a congested reading's number among its detector's readings, in time
reading_numbers as (
    select
        h.detector_id,
        h.interval_start,
        h.road_name,
        h.longitude,
        h.latitude,
        b.readings_before + h.readings_up_to as reading_number
    from in_its_hour as h
    inner join readings_before_hour as b on b.detector_id = h.detector_id and b.hour_number = h.hour_number
),

-- congested readings with consecutive numbers are one episode
islands as (
    select
        c.*,
        n.road_name,
        n.longitude,
        n.latitude,
        n.reading_number - row_number() over (partition by c.rule_id, c.detector_id order by c.interval_start) as island
    from congested as c
    inner join reading_numbers as n on n.detector_id = c.detector_id and n.interval_start = c.interval_start
),

episodes as (
    select
        rule_id,
        detector_id,
        any_value(hold_minutes) as hold_minutes,
        any_value(interval_minutes) as interval_minutes,
        arg_min(road_name, interval_start) as road_name,
        arg_min(longitude, interval_start) as longitude,
        arg_min(latitude, interval_start) as latitude,
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
