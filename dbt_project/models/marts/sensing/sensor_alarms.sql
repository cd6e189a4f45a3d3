-- One row per alarm episode: a device's measure meeting one rule of seeds/config/
-- sensor_alarm_rules.csv (above / below a threshold, or a drop / rise of `threshold` within
-- rate_window_minutes) on consecutive sound readings, with no silence longer than the device's
-- offline_after_minutes between them, for at least hold_minutes. Sound: not re-sent,
-- in physical range, no spike, not inside a flat line (int_sensor_reading_flags), so a faulty
-- sensor raises sensor_health rows, not alarms. Severity incident alarms become sensor_alarm events
-- (int_sensor_alarm_events_<department>) and warn through warning_rule_triggers.
-- Few readings meet a rule, so the rules are judged on the few columns they read, and the rest
-- of a reading (the device's department, asset and place) is looked up only for each alarm's
-- first reading.
with sound as (
    select device_id, measure, device_type, reading_at, value, source_record_id, reading_seq, delivery_date
    from {{ ref('int_sensor_reading_flags') }}
    where not out_of_range and not spike and not flatline
),

-- Consecutive sound readings of a series: numbered among the sound ones only, they would take
-- a sort of every reading. Few readings are unsound, so a reading's number among the sound
-- ones is its reading_seq less the unsound readings before it, counted on those few.
unsound as (
    select
        device_id,
        measure,
        reading_seq,
        row_number() over (partition by device_id, measure order by reading_seq) as unsound_so_far
    from {{ ref('int_sensor_reading_flags') }}
    where (not out_of_range and not spike and not flatline) is not true
),

rules as (select * from {{ ref('sensor_alarm_rules') }}),

met_level as (
    select s.*, r.rule_id
    from sound as s
    inner join rules as r on r.device_type = s.device_type and r.measure = s.measure
    where
        (r.condition = 'above' and s.value > r.threshold)
        or (r.condition = 'below' and s.value < r.threshold)
),

-- drop and rise rules: against the highest and lowest sound reading in the rule's window up to
-- each reading
rate_rules as (
    select
        *,
        to_minutes(rate_window_minutes) as rate_window
    from rules
    where condition in ('drop', 'rise')
),

rate_judged as (
    select
        s.*,
        r.rule_id,
        case r.condition
            when 'drop' then max(s.value) over recent - s.value >= r.threshold
            when 'rise' then s.value - min(s.value) over recent >= r.threshold
        end as met
    from sound as s
    inner join rate_rules as r on r.device_type = s.device_type and r.measure = s.measure
    window recent as (
        partition by s.device_id, s.measure, r.rule_id order by s.reading_at
        range between r.rate_window preceding and current row
    )
),

met as (
    select * from met_level
    union all
    select * exclude (met) from rate_judged
    where met
),

-- An episode is a run of consecutive sound readings that meet the rule: a reading between two
-- that meet it that does not ends it, and so does a silence longer than the device type's
-- offline_after_minutes, so a device back after an outage (or a day replayed weeks later) that
-- still reads over the threshold starts a new episode, which must hold again before it alarms.
numbered as (
    select
        m.*,
        m.reading_seq - coalesce(u.unsound_so_far, 0) as sound_seq
    from met as m
    asof left join unsound as u
        on u.device_id = m.device_id and u.measure = m.measure and u.reading_seq < m.reading_seq
),

runs as (
    select
        m.*,
        t.offline_after_minutes,
        lag(m.sound_seq) over reading_order as previous_seq,
        lag(m.reading_at) over reading_order as previous_reading_at
    from numbered as m
    inner join {{ ref('sensor_device_types') }} as t on t.device_type = m.device_type
    window reading_order as (partition by m.device_id, m.measure, m.rule_id order by m.reading_at)
),

islands as (
    select
        device_id,
        measure,
        rule_id,
        reading_at,
        source_record_id,
        value,
        delivery_date,
        sum(
            case
                when previous_seq is null then 1
                when sound_seq - previous_seq > 1 then 1
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
        i.device_id,
        i.rule_id,
        i.island,
        any_value(i.measure) as measure,
        any_value(r.severity) as severity,
        any_value(r.condition) as condition,
        any_value(r.threshold) as threshold,
        any_value(r.hold_minutes) as hold_minutes,
        any_value(r.description) as rule_description,
        min(i.reading_at) as started_at,
        max(i.reading_at) as ended_at,
        case when any_value(r.condition) in ('below', 'drop') then min(i.value) else max(i.value) end as peak,
        count(*) as readings,
        arg_min(i.source_record_id, i.reading_at) as first_source_record_id,
        arg_min(i.delivery_date, i.reading_at) as delivery_date
    from islands as i
    inner join rules as r on r.rule_id = i.rule_id
    group by i.device_id, i.rule_id, i.island
)

select
    e.device_id || ':' || e.rule_id || ':' || strftime(e.started_at, '%Y%m%dT%H%M') as alarm_id,
    e.device_id,
    e.rule_id,
    f.source_department,
    f.device_type,
    f.asset_id,
    f.asset_type,
    e.measure,
    f.unit,
    e.severity,
    e.condition,
    e.threshold,
    e.rule_description,
    f.longitude,
    f.latitude,
    e.started_at,
    e.ended_at,
    e.peak,
    e.readings,
    e.first_source_record_id,
    e.delivery_date,
    epoch(e.ended_at - e.started_at) / 60.0 as minutes
from episodes as e
inner join {{ ref('int_sensor_reading_flags') }} as f
    on f.source_record_id = e.first_source_record_id and f.measure = e.measure
where epoch(e.ended_at - e.started_at) / 60.0 >= e.hold_minutes
