-- Every device with a fault, one row per fault and period: offline (no push for longer than its
-- type's offline_after_minutes, to the next push or the end of the data), flatline (one value for
-- flatline_minutes or longer), out_of_range (outside the measure's physical range), spike,
-- clock_skew (its own time off the platform's by more than max_clock_skew_minutes), duplicates
-- (duplicate_readings or more readings re-sent). Thresholds: seeds/config/sensor_measures.csv and
-- sensor_device_types.csv. Kept apart from sensor_alarms: these are the sensor's faults, not the city's.
-- A device's pushes in time, each with the next: a push of several measures is several
-- readings at one push time, all but the last of them 0 minutes from the next, so the gaps
-- are those of the distinct pushes without a pass to find them.
with data_end as (select max(pushed_at) as last_push from {{ ref('int_sensor_readings') }}),

gaps as (
    select
        r.source_department,
        r.device_id,
        r.device_type,
        r.asset_id,
        r.pushed_at,
        coalesce(
            lead(r.pushed_at) over (partition by r.device_id order by r.pushed_at), e.last_push
        ) as next_push
    from {{ ref('int_sensor_readings') }} as r
    cross join data_end as e
),

offline as (
    select
        g.source_department,
        g.device_id,
        g.device_type,
        g.asset_id,
        'offline' as fault_kind,
        cast(null as varchar) as measure,
        g.pushed_at as started_at,
        g.next_push as ended_at,
        0 as readings
    from gaps as g
    inner join {{ ref('sensor_device_types') }} as d on d.device_type = g.device_type
    -- each time apart: subtracting one time zone-aware time from another takes ICU's calendar
    -- arithmetic, several times the cost of the whole window on large
    where (epoch(g.next_push) - epoch(g.pushed_at)) / 60.0 > d.offline_after_minutes
),

flags as (select * from {{ ref('int_sensor_reading_flags') }}),

-- runs of readings out of range: out-of-range readings numbered among themselves and among all
-- the device's readings of the measure (reading_seq) keep one difference along a run
range_islands as (
    select
        *,
        reading_seq - row_number() over (partition by device_id, measure order by reading_at) as island
    from flags
    where out_of_range
),

flagged as (
    select
        source_department, device_id, device_type, asset_id, measure, reading_at,
        'flatline' as fault_kind, flat_run as period
    from flags
    where flatline
    union all
    select
        source_department, device_id, device_type, asset_id, measure, reading_at,
        'out_of_range' as fault_kind, island as period
    from range_islands
    union all
    select
        source_department, device_id, device_type, asset_id, measure, reading_at,
        'spike' as fault_kind, 0 as period
    from flags
    where spike
),

reading_faults as (
    select
        fault_kind,
        device_id,
        measure,
        any_value(source_department) as source_department,
        any_value(device_type) as device_type,
        any_value(asset_id) as asset_id,
        min(reading_at) as started_at,
        max(reading_at) as ended_at,
        count(*) as readings
    from flagged
    group by fault_kind, device_id, measure, period
),

device_faults as (
    select
        r.device_id,
        any_value(r.source_department) as source_department,
        any_value(r.device_type) as device_type,
        any_value(r.asset_id) as asset_id,
        case when r.clock_skewed then 'clock_skew' else 'duplicates' end as fault_kind,
        min(r.pushed_at) as started_at,
        max(r.pushed_at) as ended_at,
        count(*) as readings,
        any_value(d.duplicate_readings) as duplicate_readings
    from {{ ref('int_sensor_readings') }} as r
    inner join {{ ref('sensor_device_types') }} as d on d.device_type = r.device_type
    where r.clock_skewed or r.copy > 1
    group by r.device_id, r.clock_skewed
),

faults as (
    select
        source_department, device_id, device_type, asset_id, fault_kind, measure,
        started_at, ended_at, readings
    from offline
    union all
    select
        source_department, device_id, device_type, asset_id, fault_kind, measure,
        started_at, ended_at, readings
    from reading_faults
    union all
    select
        source_department, device_id, device_type, asset_id, fault_kind,
        cast(null as varchar) as measure, started_at, ended_at, readings
    from device_faults
    where fault_kind = 'clock_skew' or readings >= duplicate_readings
)

select
    device_id || ':' || fault_kind || ':' || coalesce(measure, '') || ':'
    || strftime(started_at, '%Y%m%dT%H%M') as fault_id,
    *,
    epoch(ended_at - started_at) / 60.0 as minutes
from faults
