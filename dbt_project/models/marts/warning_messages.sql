-- The CAP 1.2 message thread of every continuing warning (warning_lifecycle), in the order sent:
-- an Alert on its first day; an Update when its level or area changes or its last message is about
-- to run out (int_warning_days); a Cancel when it is closed (int_warning_closures). Every message
-- after the Alert references the one before it (CAP <references>: sender, identifier, sent). The
-- alerts/cap asset publishes every row as alerts/<message_id>.xml.
with days as (select * from {{ ref('int_warning_days') }}),

closures as (select * from {{ ref('int_warning_closures') }}),

sent_on_days as (
    select
        lifecycle_id,
        warning_id as message_id,
        msg_type,
        update_reasons,
        cast(null as varchar) as close_reason,
        warning_id,
        rule_id,
        rule_description,
        level,
        colour,
        event_type,
        subject_kind,
        subject_key,
        subject_name,
        as_of_date,
        issued_at as sent_at,
        expires_at,
        county_code,
        township_code,
        area_name,
        longitude,
        latitude,
        radius_m,
        reasons,
        responsible_department
    from days
    where msg_type is not null
),

-- A Cancel repeats the warning as it last stood, and says why it ended (the reason's note).
cancels as (
    select
        c.lifecycle_id,
        md5(d.rule_id || '|' || d.subject_key || '|' || c.closed_on || '|Cancel') as message_id,
        'Cancel' as msg_type,
        cast(null as varchar) as update_reasons,
        c.close_reason,
        cast(null as varchar) as warning_id,
        d.rule_id,
        d.rule_description,
        d.level,
        d.colour,
        d.event_type,
        d.subject_kind,
        d.subject_key,
        d.subject_name,
        c.closed_on as as_of_date,
        c.closed_at as sent_at,
        cast(null as timestamptz) as expires_at,
        d.county_code,
        d.township_code,
        d.area_name,
        d.longitude,
        d.latitude,
        d.radius_m,
        c.note as reasons,
        d.responsible_department
    from closures as c
    join days as d using (lifecycle_id)
    qualify row_number() over (partition by c.lifecycle_id order by d.as_of_date desc) = 1
),

messages as (
    select * from sent_on_days
    union all
    select * from cancels
)

select
    message_id,
    lifecycle_id,
    row_number() over thread as message_number,
    msg_type,
    lag(message_id) over thread as references_message_id,
    lag(sent_at) over thread as references_sent_at,
    update_reasons,
    close_reason,
    -- The message receivers act on now: the latest of a thread not yet cancelled.
    msg_type <> 'Cancel' and lead(message_id) over thread is null as in_force,
    * exclude (message_id, lifecycle_id, msg_type, update_reasons, close_reason)
from messages
window thread as (partition by lifecycle_id order by sent_at)
