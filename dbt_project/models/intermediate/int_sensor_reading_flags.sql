-- Each distinct reading (re-sent copies left out) with what sensor health says of it: out of
-- physical range, a spike (off from both neighbours, the same way, by more than the measure's
-- spike_delta), or inside a flat line (the same value for flatline_minutes or longer). A reading
-- flagged any way is not one an alarm may rest on (sensor_alarms).
with distinct_readings as (
    select
        r.* exclude (copy),  -- noqa: RF02
        s.spike_delta,
        s.flatline_minutes,
        lag(r.value) over by_time as previous_value,
        lead(r.value) over by_time as next_value
    from {{ ref('int_sensor_readings') }} as r
    left join {{ ref('sensor_measures') }} as s
        on s.device_type = r.device_type and s.measure = r.measure
    where r.copy = 1
    window by_time as (partition by r.device_id, r.measure order by r.reading_at)
),

runs as (
    select
        *,
        -- runs of one value: a new run starts whenever the value changes
        sum(case when value is distinct from previous_value then 1 else 0 end) over (
            partition by device_id, measure order by reading_at rows unbounded preceding
        ) as flat_run
    from distinct_readings
),

run_lengths as (
    select
        *,
        epoch(
            max(reading_at) over (partition by device_id, measure, flat_run)
            - min(reading_at) over (partition by device_id, measure, flat_run)
        ) / 60.0 as run_minutes
    from runs
)

select
    * exclude (previous_value, next_value, run_minutes),
    coalesce(
        not out_of_range and (
            (value - previous_value > spike_delta and value - next_value > spike_delta)
            or (previous_value - value > spike_delta and next_value - value > spike_delta)
        ),
        false
    ) as spike,
    run_minutes >= flatline_minutes as flatline
from run_lengths
