-- Each distinct reading (re-sent copies left out) with what sensor health says of it: out of
-- physical range, a spike (off from both neighbours, the same way, by more than the measure's
-- spike_delta), or inside a flat line (the same value for flatline_minutes or longer). A reading
-- flagged any way is not one an alarm may rest on (sensor_alarms). The windows run on the few
-- columns they read, and the flags are joined to the readings after: sorting whole readings
-- costs several times more.
--
-- Built by series (a device's measure) from where it changed: a daily build recomputes each
-- series that has new or changed readings from the first reading of the run of one value
-- before the change, numbering on from the reading before that one, and replaces the series'
-- rows from there (the replace_series_from strategy, macros/incremental.sql). Everything
-- before is left as it was: a reading's flags depend only on its neighbours and on its run.
-- (Readings of one series at the same time have no defined order, in a full build as here.)
{{ config(
    materialized='incremental',
    incremental_strategy='replace_series_from',
    unique_key=['device_id', 'measure'],
    replace_from='reading_at',
) }}

with
{% if is_incremental() %}
-- where each series changed: its first copies from the days int_sensor_readings built again
-- (by delivery day), and the rows built before from those days (changed or gone). A push
-- delivered late that displaces a copy kept from an earlier day as the first copy is never
-- later in reading_at (the same device time, or a push time that came first, and a push time
-- is used only when it is far from the device time), so that copy's row is replaced too.
-- A series whose measure's spike_delta or flatline_minutes changed (sensor_measures.csv)
-- changed from its first reading.
changes as (
    select device_id, measure, reading_at from {{ ref('int_sensor_readings') }}
    where copy = 1 and {{ delivery_days_to_build() }}
    union all
    select device_id, measure, reading_at from {{ this }}
    where {{ delivery_days_to_build() }}
    union all
    select b.device_id, b.measure, b.reading_at
    from {{ this }} as b
    left join {{ ref('sensor_measures') }} as s
        on s.device_type = b.device_type and s.measure = b.measure
    where
        b.spike_delta is distinct from s.spike_delta
        or b.flatline_minutes is distinct from s.flatline_minutes
),

changed as (
    select device_id, measure, min(reading_at) as changed_at
    from changes
    group by device_id, measure
),

-- The run of one value the last reading before the change is in may go on after it: the
-- series is recomputed from that run's first reading (from_at), with the reading before it
-- (the context: the last of the run before) read again as its neighbour. The rows built
-- before are numbered 1, 2, ... in time, and their runs too.
last_run as (
    select b.device_id, b.measure, max(b.flat_run) as flat_run
    from {{ this }} as b
    inner join changed as c using (device_id, measure)
    where b.reading_at < c.changed_at
    group by b.device_id, b.measure
),

recompute as (
    select
        c.device_id,
        c.measure,
        coalesce(min(b.reading_at) filter (where b.flat_run = l.flat_run), c.changed_at) as from_at,
        -- none (null, 0 and 0) when the series is recomputed from its first reading
        max(b.reading_at) filter (where b.flat_run = l.flat_run - 1) as context_at,
        coalesce(max(b.reading_seq) filter (where b.flat_run = l.flat_run - 1), 0) as context_seq,
        coalesce(l.flat_run - 1, 0) as context_run
    from changed as c
    left join last_run as l using (device_id, measure)
    left join {{ this }} as b
        on
            b.device_id = c.device_id
            and b.measure = c.measure
            and b.flat_run between l.flat_run - 1 and l.flat_run
            and b.reading_at < c.changed_at
    group by c.device_id, c.measure, c.changed_at, l.flat_run
),

-- the earliest reading any series is recomputed from: the readings before it are not read
-- (stored in about the order they were delivered, most of them are skipped by row group)
earliest as (select min(coalesce(context_at, from_at)) as reading_at from recompute),

-- each series' readings from where it is recomputed, after the context (is_context)
series as (
    select
        r.source_record_id,
        r.measure,
        r.device_id,
        r.reading_at,
        r.value,
        r.out_of_range,
        r.device_type,
        greatest(p.context_seq - 1, 0) as seq_before,
        greatest(p.context_run - 1, 0) as run_before,
        r.reading_at < p.from_at as is_context
    from {{ ref('int_sensor_readings') }} as r
    inner join recompute as p on p.device_id = r.device_id and p.measure = r.measure
    where
        r.copy = 1
        and r.reading_at >= coalesce(p.context_at, p.from_at)
        and r.reading_at >= (select e.reading_at from earliest as e)
),
{% else %}
series as (
    select
        source_record_id,
        measure,
        device_id,
        reading_at,
        value,
        out_of_range,
        device_type,
        0 as seq_before,
        0 as run_before,
        false as is_context
    from {{ ref('int_sensor_readings') }}
    where copy = 1
),
{% endif %}

neighbours as (
    select
        *,
        seq_before + row_number() over by_time as reading_seq,
        lag(value) over by_time as previous_value,
        lead(value) over by_time as next_value
    from series
    window by_time as (partition by device_id, measure order by reading_at)
),

runs as (
    select
        *,
        -- runs of one value: a new run starts whenever the value changes (a bigint: sum's
        -- hugeint is several times slower to scan)
        run_before + cast(sum(case when value is distinct from previous_value then 1 else 0 end) over (
            partition by device_id, measure order by reading_at rows unbounded preceding
        ) as bigint) as flat_run
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
    -- for 10.7 M readings, only 3.2 M of them in longer runs. (The reading before a
    -- recomputed series ends its run, so it is left out.)
    where
        not is_context
        and (value is not distinct from previous_value or next_value is not distinct from value)
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
    where not r.is_context
)

select
    r.* exclude (copy),  -- noqa: RF02
    f.reading_seq,
    f.spike_delta,
    f.flatline_minutes,
    f.flat_run,
    f.spike,
    f.flatline{% if is_incremental() %},
    false as is_replace_marker{% endif %}
from {{ ref('int_sensor_readings') }} as r
inner join flags as f on f.source_record_id = r.source_record_id and f.measure = r.measure
where
    r.copy = 1
    {%- if is_incremental() %}
    and r.reading_at >= (select e.reading_at from earliest as e)
    {%- endif %}
{%- if is_incremental() %}
-- one marker per series recomputed: its rows from from_at are replaced, also those now gone
union all by name
select
    device_id,
    measure,
    from_at as reading_at,
    true as is_replace_marker
from recompute
{%- endif %}
