-- Each distinct reading (re-sent copies left out) with what sensor health says of it: out of
-- physical range, a spike (off from both neighbours, the same way, by more than the measure's
-- spike_delta), or inside a flat line (the same value for flatline_minutes or longer). A reading
-- flagged any way is not one an alarm may rest on (sensor_alarms). The windows run on the few
-- columns they read, and the flags are joined to the readings after: sorting whole readings
-- costs several times more.
with neighbours as (
    select
        source_record_id,
        measure,
        device_id,
        reading_at,
        value,
        out_of_range,
        device_type,
        row_number() over by_time as reading_seq,
        lag(value) over by_time as previous_value,
        lead(value) over by_time as next_value
    from {{ ref('int_sensor_readings') }}
    where copy = 1
    window by_time as (partition by device_id, measure order by reading_at)
),

runs as (
    select
        *,
        -- runs of one value: a new run starts whenever the value changes
        sum(case when value is distinct from previous_value then 1 else 0 end) over (
            partition by device_id, measure order by reading_at rows unbounded preceding
        ) as flat_run
    from neighbours
),

run_lengths as (
    select
        device_id,
        measure,
        flat_run,
        epoch(max(reading_at) - min(reading_at)) / 60.0 as run_minutes
    from runs
    -- Only runs of two readings or more: each of their readings has a neighbour of its value.
    -- The rest are runs of one reading, which last 0 minutes: on the large city 8.9 M runs
    -- for 10.7 M readings, only 3.2 M of them in longer runs.
    where value is not distinct from previous_value or next_value is not distinct from value
    group by device_id, measure, flat_run
),

flags as (
    select
        r.source_record_id,
        r.measure,
        r.reading_seq,
        s.spike_delta,
        s.flatline_minutes,
        r.flat_run,
        coalesce(
            not r.out_of_range and (
                (r.value - r.previous_value > s.spike_delta and r.value - r.next_value > s.spike_delta)
                or (r.previous_value - r.value > s.spike_delta and r.next_value - r.value > s.spike_delta)
            ),
            false
        ) as spike,
        coalesce(l.run_minutes, 0) >= s.flatline_minutes as flatline
    from runs as r
    left join run_lengths as l using (device_id, measure, flat_run)
    left join {{ ref('sensor_measures') }} as s
        on s.device_type = r.device_type and s.measure = r.measure
)

select
    r.* exclude (copy),  -- noqa: RF02
    f.reading_seq,
    f.spike_delta,
    f.flatline_minutes,
    f.flat_run,
    f.spike,
    f.flatline
from {{ ref('int_sensor_readings') }} as r
inner join flags as f on f.source_record_id = r.source_record_id and f.measure = r.measure
where r.copy = 1
