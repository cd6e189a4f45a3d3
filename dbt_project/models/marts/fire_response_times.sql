-- The response loop of every fire-and-rescue incident: alarm -> dispatch -> arrival -> close,
-- in seconds, against the targets (seeds/config/response_targets.csv), placed in its township.
with incidents as (
    select
        e.event_key, e.event_type, e.county_code, e.township_code, e.place_key,
        i.incident_id, i.alarm_at, i.dispatched_at, i.arrived_at, i.closed_at
    from {{ ref('fct_event') }} as e
    join {{ ref('stg_fire_rescue__fire_incidents') }} as i using (source_record_id)
),

targets as (
    select
        max(target_seconds) filter (where interval = 'alarm_to_dispatch') as dispatch_target_s,
        max(target_seconds) filter (where interval = 'dispatch_to_arrival') as arrival_target_s
    from {{ ref('response_targets') }}
)

select
    i.*,
    date_diff('second', i.alarm_at, i.dispatched_at) as alarm_to_dispatch_s,
    date_diff('second', i.dispatched_at, i.arrived_at) as dispatch_to_arrival_s,
    date_diff('second', i.arrived_at, i.closed_at) as arrival_to_close_s,
    date_diff('second', i.alarm_at, i.closed_at) as alarm_to_close_s,
    date_diff('second', i.alarm_at, i.dispatched_at) <= t.dispatch_target_s as dispatch_within_target,
    date_diff('second', i.dispatched_at, i.arrived_at) <= t.arrival_target_s as arrival_within_target
from incidents as i
cross join targets as t
