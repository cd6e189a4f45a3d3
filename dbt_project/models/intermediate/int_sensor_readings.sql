-- Every reading of every department's sensor_telemetry (one union by contract:
-- int_shared__sensor_telemetry), one row per measure of a push. reading_at is the device's own
-- time unless its clock is off by more than its type allows (sensor_device_types), then the
-- platform's receipt time; `copy` numbers re-sent readings (same device, measure and device time).
with readings as (
    select
        t.source_department,
        t.device_id,
        t.device_type,
        t.asset_id,
        t.asset_type,
        t.longitude,
        t.latitude,
        t.message_id,
        t.batch_id,
        t.pushed_at,
        t.source_record_id,
        t.delivery_date,
        unnest(t.measures) as m
    from {{ ref('int_shared__sensor_telemetry') }} as t
)

select
    r.source_department,
    r.device_id,
    r.device_type,
    r.asset_id,
    r.asset_type,
    r.longitude,
    r.latitude,
    r.message_id,
    r.batch_id,
    r.pushed_at,
    r.source_record_id,
    r.delivery_date,
    r.m.measure,
    r.m.value,
    r.m.unit,
    r.m.measured_at,
    abs(epoch(r.m.measured_at) - epoch(r.pushed_at)) / 60.0 as skew_minutes,
    abs(epoch(r.m.measured_at) - epoch(r.pushed_at)) / 60.0 > d.max_clock_skew_minutes as clock_skewed,
    case
        when abs(epoch(r.m.measured_at) - epoch(r.pushed_at)) / 60.0 > d.max_clock_skew_minutes then r.pushed_at
        else r.m.measured_at
    end as reading_at,
    row_number() over (
        partition by r.device_id, r.m.measure, r.m.measured_at order by r.pushed_at, r.message_id
    ) as copy,
    r.m.value < s.physical_min or r.m.value > s.physical_max as out_of_range
from readings as r
left join {{ ref('sensor_device_types') }} as d on d.device_type = r.device_type
left join {{ ref('sensor_measures') }} as s on s.device_type = r.device_type and s.measure = r.m.measure
