-- The lifecycle of every instruction for each department it goes to (主办 lead, 协办 supporting):
-- when it signed, arrived, handled and closed, by the department's own feedback; how long each
-- took; which deadlines it missed (a deadline passed with the step still not reported counts
-- as missed); the supervision notices it drew; and whether its closure was false (the same
-- problem at the same site instructed again within the reopen days).
-- Unanswered: no report at all by the end of the newest delivery day although the signing
-- deadline has passed by then; one whose deadline has not passed yet is awaiting, not unanswered.
with instructions as (select * from {{ ref('dispatch_instructions') }}),

deadlines as (select * from {{ ref('instruction_deadlines') }}),

assigned as (
    select i.*, i.lead_department as department, 'lead' as role
    from instructions as i
    union all
    select i.*, trim(d.department) as department, 'supporting' as role
    from instructions as i
    cross join unnest(string_split(coalesce(i.supporting_departments, ''), '|')) as d (department)
    where trim(d.department) <> ''
),

feedback as (
    select
        instruction_id,
        department,
        min(reported_at) as first_report_at,
        min(case when stage = 'signed' then reported_at end) as signed_at,
        min(case when stage = 'on_scene' then reported_at end) as on_scene_at,
        min(case when stage = 'handled' then reported_at end) as handled_at,
        min(case when stage = 'closed' then reported_at end) as closed_at,
        arg_min(outcome, case when stage = 'closed' then reported_at end) as outcome,
        arg_min(feedback_text, case when stage = 'closed' then reported_at end) as closing_text,
        count(*) as reports
    from {{ ref('int_dispatch_feedback') }}
    group by all
),

notices as (
    select instruction_id, department, count(*) as escalations, max(step) as highest_step
    from {{ ref('stg_command_centre__supervision_notices') }}
    group by all
),

lifecycle as (
    select
        a.instruction_id,
        a.department,
        a.role,
        a.source_kind,
        a.source_type,
        a.level,
        a.site_key,
        a.issued_at,
        strftime(timezone('{{ city_var("city_timezone") }}', a.issued_at), '%Y-%m') as month,
        a.sign_by,
        a.arrive_by,
        a.close_by,
        f.signed_at,
        f.on_scene_at,
        f.handled_at,
        f.closed_at,
        f.outcome,
        f.closing_text,
        coalesce(f.reports, 0) as reports,
        coalesce(n.escalations, 0) as escalations,
        n.highest_step,
        d.reopen_days,
        a.as_of
    from assigned as a
    left join feedback as f using (instruction_id, department)
    left join notices as n using (instruction_id, department)
    left join deadlines as d using (level)
),

reopened as (
    select distinct l.instruction_id, l.department
    from lifecycle as l
    join instructions as later
        on
            later.source_type = l.source_type and later.site_key = l.site_key
            and later.issued_at > l.closed_at
            and later.issued_at <= l.closed_at + to_days(l.reopen_days)
)

select
    l.* exclude (l.reopen_days, l.site_key),
    date_diff('second', l.issued_at, l.signed_at) / 60.0 as minutes_to_sign,
    date_diff('second', l.issued_at, l.on_scene_at) / 60.0 as minutes_to_arrive,
    date_diff('second', l.issued_at, l.closed_at) / 3600.0 as hours_to_close,
    coalesce(l.signed_at > l.sign_by, l.sign_by < l.as_of) as sign_overdue,
    coalesce(l.on_scene_at > l.arrive_by, l.arrive_by < l.as_of) as arrive_overdue,
    coalesce(l.closed_at > l.close_by, l.close_by < l.as_of) as close_overdue,
    l.reports = 0 and l.sign_by <= l.as_of as unanswered,
    case
        when l.closed_at is not null then 'closed'
        when l.reports = 0 and l.sign_by <= l.as_of then 'unanswered'
        when l.reports = 0 then 'awaiting_signature'
        else 'in_progress'
    end as status,
    l.closed_at is not null
    and l.signed_at is not null and l.on_scene_at is not null and l.handled_at is not null
    and l.outcome is not null and l.closing_text is not null as feedback_complete,
    r.instruction_id is not null as reopened
from lifecycle as l
left join reopened as r using (instruction_id, department)
