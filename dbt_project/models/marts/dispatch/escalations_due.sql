-- Supervision notices (督办) to issue now: for every open assignment whose next step (sign,
-- arrive, close) is past its deadline at the end of the newest delivery day, each escalation
-- step (seeds/config/escalation_steps.csv) whose time has come and whose notice the command
-- centre has not sent yet.
with assignments as (select * from {{ ref('dispatch_assignments') }}),

current_step as (
    select
        instruction_id,
        department,
        issued_at,
        as_of,
        case
            when signed_at is null then 'signed'
            when on_scene_at is null then 'on_scene'
            else 'closed'
        end as overdue_stage,
        case
            when signed_at is null then sign_by
            when on_scene_at is null then arrive_by
            else close_by
        end as deadline
    from assignments
    where closed_at is null
),

sent as (
    select instruction_id, department, overdue_stage, step
    from {{ ref('stg_command_centre__supervision_notices') }}
)

select
    c.instruction_id,
    c.department,
    c.overdue_stage,
    c.deadline,
    round(date_diff('minute', c.deadline, c.as_of) / 60.0, 1) as hours_overdue,
    s.step,
    s.notify,
    s.description,
    c.deadline + to_hours(s.overdue_hours) as due_since
from current_step as c
join {{ ref('escalation_steps') }} as s on c.deadline + to_hours(s.overdue_hours) <= c.as_of
where not exists (
    select 1 from sent
    where
        sent.instruction_id = c.instruction_id and sent.department = c.department
        and sent.overdue_stage = c.overdue_stage and sent.step = s.step
)
