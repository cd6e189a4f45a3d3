-- Every continuing warning's CAP thread (warning_messages) is well formed against its lifecycle
-- (warning_lifecycle): one Alert, first, referencing nothing; every later message references its
-- predecessor by identifier and sent time and is sent after it; Updates say why; nothing follows a
-- Cancel; a closed warning has exactly one Cancel, last, with a reason; an open one none, and
-- exactly one message in force. Each failing row is a message (or a lifecycle) and what is wrong.
{{ config(meta={'dagster': {'ref': {'name': 'warning_messages'}}}) }}  -- the asset it is a check on in Dagster
with messages as (select * from {{ ref('warning_messages') }}),

lifecycles as (select * from {{ ref('warning_lifecycle') }}),

paired as (
    select
        m.*,
        p.message_id as predecessor_id,
        p.sent_at as predecessor_sent_at,
        p.msg_type as predecessor_type
    from messages as m
    left join messages as p on p.lifecycle_id = m.lifecycle_id and p.message_number = m.message_number - 1
),

message_problems as (
    select
        lifecycle_id,
        message_id,
        case
            when message_number = 1 and msg_type <> 'Alert' then 'the first message is not an Alert'
            when message_number = 1 and references_message_id is not null then 'the Alert references another message'
            when message_number = 1 and message_id <> lifecycle_id then 'the Alert is not named for its warning'
            when message_number > 1 and msg_type = 'Alert' then 'an Alert after the first message'
            when message_number > 1 and predecessor_id is null then 'a gap in the thread'
            -- (the predecessor exists from here on)
            when message_number > 1 and (references_message_id is null or references_message_id <> predecessor_id)
                then 'does not reference its predecessor'
            when message_number > 1 and (references_sent_at is null or references_sent_at <> predecessor_sent_at)
                then 'references its predecessor with another sent time'
            when message_number > 1 and sent_at <= predecessor_sent_at then 'not sent after its predecessor'
            when predecessor_type = 'Cancel' then 'follows a Cancel'
            when msg_type = 'Update' and update_reasons is null then 'an Update without a reason'
            when msg_type = 'Cancel' and (close_reason is null or reasons is null) then 'a Cancel without a reason'
            when msg_type not in ('Alert', 'Update', 'Cancel') then 'an unknown msgType'
        end as problem
    from paired
),

thread_problems as (
    select
        l.lifecycle_id,
        cast(null as varchar) as message_id,
        case
            when count(m.message_id) = 0 then 'a warning without messages'
            when count(m.message_id) <> any_value(l.messages) then 'its messages are not the ones the lifecycle counts'
            when any_value(l.in_force) and count(*) filter (where m.msg_type = 'Cancel') > 0
                then 'a warning in force has a Cancel'
            when not any_value(l.in_force) and count(*) filter (where m.msg_type = 'Cancel') <> 1
                then 'a closed warning has not exactly one Cancel'
            when count(*) filter (where m.in_force) <> case when any_value(l.in_force) then 1 else 0 end
                then 'not exactly one message in force for a warning in force'
        end as problem
    from lifecycles as l
    left join messages as m using (lifecycle_id)
    group by l.lifecycle_id
),

orphans as (
    select
        m.lifecycle_id,
        m.message_id,
        'a message of no warning' as problem
    from messages as m
    where not exists (
        select 1 from lifecycles as l
        where l.lifecycle_id = m.lifecycle_id
    )
)

select
    lifecycle_id,
    message_id,
    problem
from message_problems
where problem is not null
union all
select
    lifecycle_id,
    message_id,
    problem
from thread_problems
where problem is not null
union all
select
    lifecycle_id,
    message_id,
    problem
from orphans
