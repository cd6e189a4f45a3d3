-- One row per alarm episode: a device's measure meeting one rule of seeds/config/
-- sensor_alarm_rules.csv (above / below a threshold, or a drop / rise of `threshold` within
-- rate_window_minutes) on consecutive sound readings, with no silence longer than the device's
-- offline_after_minutes between them, for at least hold_minutes. Sound: not re-sent,
-- in physical range, no spike, not inside a flat line (int_sensor_reading_flags), so a faulty
-- sensor raises sensor_health rows, not alarms. Severity incident alarms become sensor_alarm events
-- (int_sensor_alarm_events_<department>) and warn through warning_rule_triggers.
with sound as (
    select *
    from {{ ref('int_sensor_reading_flags') }}
    where not out_of_range and not spike and not flatline
),

rules as (select * from {{ ref('sensor_alarm_rules') }}),

-- drop and rise rules: the highest and lowest sound reading in the rule's window up to each reading
recent as (
    select
        s.device_id,
        s.measure,
        s.reading_at,
        r.rule_id,
        max(p.value) as recent_max,
        min(p.value) as recent_min
    from sound as s
    inner join rules as r on r.device_type = s.device_type and r.measure = s.measure
    inner join sound as p
        on
            p.device_id = s.device_id
            and p.measure = s.measure
            and p.reading_at between s.reading_at - to_minutes(r.rate_window_minutes) and s.reading_at
    where r.condition in ('drop', 'rise')
    group by s.device_id, s.measure, s.reading_at, r.rule_id
),

judged as (
    select
        s.*,
        r.rule_id,
        r.condition,
        r.threshold,
        r.hold_minutes,
        r.severity,
        r.description as rule_description,
        case r.condition
            when 'above' then s.value > r.threshold
            when 'below' then s.value < r.threshold
            when 'drop' then w.recent_max - s.value >= r.threshold
            when 'rise' then s.value - w.recent_min >= r.threshold
        end as met
    from sound as s
    inner join rules as r on r.device_type = s.device_type and r.measure = s.measure
    left join recent as w
        on
            w.device_id = s.device_id
            and w.measure = s.measure
            and w.reading_at = s.reading_at
            and w.rule_id = r.rule_id
),

-- An episode is a run of consecutive sound readings that meet the rule. A silence longer than
-- the device type's offline_after_minutes ends it too: a device back after an outage (or a day
-- replayed weeks later) that still reads over the threshold starts a new episode, which must
-- hold again before it alarms.
runs as (
    select
        j.*,
        t.offline_after_minutes,
        lag(j.met) over reading_order as previous_met,
        lag(j.reading_at) over reading_order as previous_reading_at
    from judged as j
    inner join {{ ref('sensor_device_types') }} as t on t.device_type = j.device_type
    window reading_order as (partition by j.device_id, j.measure, j.rule_id order by j.reading_at)
),

islands as (
    select
        * exclude (offline_after_minutes, previous_met, previous_reading_at),
        sum(
            case
                when previous_reading_at is null then 1
                when met is distinct from previous_met then 1
                when epoch(reading_at - previous_reading_at) / 60.0 > offline_after_minutes then 1
                else 0
            end
        ) over (
            partition by device_id, measure, rule_id order by reading_at
            rows between unbounded preceding and current row
        ) as island
    from runs
),

episodes as (
    select
        device_id,
        rule_id,
        island,
        any_value(source_department) as source_department,
        any_value(device_type) as device_type,
        any_value(asset_id) as asset_id,
        any_value(asset_type) as asset_type,
        any_value(measure) as measure,
        any_value(unit) as unit,
        any_value(severity) as severity,
        any_value(condition) as condition,
        any_value(threshold) as threshold,
        any_value(hold_minutes) as hold_minutes,
        any_value(rule_description) as rule_description,
        any_value(longitude) as longitude,
        any_value(latitude) as latitude,
        min(reading_at) as started_at,
        max(reading_at) as ended_at,
        case when any_value(condition) in ('below', 'drop') then min(value) else max(value) end as peak,
        count(*) as readings,
        arg_min(source_record_id, reading_at) as first_source_record_id,
        arg_min(delivery_date, reading_at) as delivery_date
    from islands
    where met
    group by device_id, rule_id, island
)

select
    device_id || ':' || rule_id || ':' || strftime(started_at, '%Y%m%dT%H%M') as alarm_id,
    * exclude (island, hold_minutes),
    epoch(ended_at - started_at) / 60.0 as minutes
from episodes
where epoch(ended_at - started_at) / 60.0 >= hold_minutes
