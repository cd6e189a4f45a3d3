-- Every reading of every department's sensor_telemetry (one union by contract:
-- int_shared__sensor_telemetry), one row per measure of a push. reading_at is the device's own
-- time unless its clock is off by more than its type allows (sensor_device_types), then the
-- platform's receipt time; `copy` numbers re-sent readings (same device, measure and device time).
-- Built by delivery day: a daily build reads the new days' pushes only. A copy of a reading kept
-- from an earlier day counts before the new ones; should a new push come before a kept copy (a
-- late push delivered on a later day), the kept copy's day is built again, so that every copy
-- is numbered as a full build numbers it.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key='delivery_date') }}
{%- set unnested -%}
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
{%- endset %}

with arrived as (
    {{ unnested }}
    where {{ delivery_days_to_build() }}
),

{% if is_incremental() %}
first_arrived as (select min(delivery_date) as delivery_date from arrived),

-- the copies built before of readings that arrived again (copies share the device's time)
earlier as (
    select device_id, measure, measured_at, pushed_at, message_id, delivery_date
    from {{ this }}
    where
        delivery_date < (select f.delivery_date from first_arrived as f)
        and measured_at between (select min(m.measured_at) from arrived)
        and (select max(m.measured_at) from arrived)
),

renumbered_days as (
    select distinct e.delivery_date
    from earlier as e
    inner join arrived as a
        on a.device_id = e.device_id and a.m.measure = e.measure and a.m.measured_at = e.measured_at
    where e.pushed_at > a.pushed_at or (e.pushed_at = a.pushed_at and e.message_id > a.message_id)
),

readings as (
    select * from arrived
    union all
    {{ unnested }}
    -- (the range first, so that no day to build again reads no pushes)
    where
        t.delivery_date >= (select min(d.delivery_date) from renumbered_days as d)
        and t.delivery_date in (select d.delivery_date from renumbered_days as d)
),

-- the copies kept from earlier days of the readings built, which number with them
kept as (
    select k.device_id, k.measure, k.measured_at, k.pushed_at, k.message_id
    from {{ this }} as k
    where
        k.delivery_date < (select f.delivery_date from first_arrived as f)
        and k.delivery_date not in (select d.delivery_date from renumbered_days as d)
        and k.measured_at between (select min(m.measured_at) from readings)
        and (select max(m.measured_at) from readings)
        and exists (
            select 1 from readings as r
            where r.device_id = k.device_id and r.m.measure = k.measure and r.m.measured_at = k.measured_at
        )
),
{% else %}
readings as (select * from arrived),
{% endif %}

numbered as (
    select
        *,
        row_number() over (
            partition by device_id, measure, measured_at order by pushed_at, message_id
        ) as copy
    from (
        select
            r.* exclude (m),  -- noqa: RF03
            r.m.measure,
            r.m.value,
            r.m.unit,
            r.m.measured_at,
            false as is_kept
        from readings as r
        {% if is_incremental() -%}
        union all by name
        select
            *,
            true as is_kept
        from kept
        {%- endif %}
    )
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
    r.measure,
    r.value,
    r.unit,
    r.measured_at,
    abs(epoch(r.measured_at) - epoch(r.pushed_at)) / 60.0 as skew_minutes,
    abs(epoch(r.measured_at) - epoch(r.pushed_at)) / 60.0 > d.max_clock_skew_minutes as clock_skewed,
    case
        when abs(epoch(r.measured_at) - epoch(r.pushed_at)) / 60.0 > d.max_clock_skew_minutes then r.pushed_at
        else r.measured_at
    end as reading_at,
    r.copy,
    r.value < s.physical_min or r.value > s.physical_max as out_of_range
from numbered as r
left join {{ ref('sensor_device_types') }} as d on d.device_type = r.device_type
left join {{ ref('sensor_measures') }} as s on s.device_type = r.device_type and s.measure = r.measure
where not r.is_kept
