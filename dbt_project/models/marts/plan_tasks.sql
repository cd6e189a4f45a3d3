-- The tasks each activated plan gives: one row per activation and task, with the department
-- that does it, the deadline (activation + due_minutes) and, for a task that mobilises
-- resources, the nearest available ones of each kind (nearest_resources, by rank). A warning's
-- task becomes an instruction in the dispatch loop: the command centre's latest instruction
-- answering that warning and its assignment to the task's department, when it has issued one
-- (an event's instructions answer 12345 calls, not events, so theirs are not matched).
with tasks as (
    select
        a.trigger_kind,
        a.trigger_key,
        a.plan_id,
        a.level,
        p.department,
        p.task,
        p.resources,
        a.activated_at,
        a.activated_at + to_minutes(p.due_minutes) as due_at,
        row_number() over (partition by a.trigger_kind, a.trigger_key order by p.due_minutes, p.department, p.task)
            as task_number
    from {{ ref('plan_activations') }} as a
    join {{ ref('emergency_plans') }} as p using (plan_id)
),

mobilised as (
    select
        t.trigger_kind,
        t.trigger_key,
        t.task_number,
        string_agg(
            n.resource_name || ' (' || n.resource_kind || ', ' || round(n.distance_m / 1000, 1) || ' km)',
            '; ' order by n.resource_kind, n.rank
        ) as nearest_resources
    from tasks as t
    cross join unnest(string_split(t.resources, '|')) as k (resource_kind)
    join {{ ref('nearest_resources') }} as n
        on
            n.query_kind = case t.trigger_kind when 'event' then 'event' else 'warning' end
            and n.query_key = t.trigger_key and n.resource_kind = k.resource_kind
    group by all
),

instructed as (
    -- The instruction that answers the warning as uninstructed_warnings judges it: the same rule
    -- and subject, issued within the rule's instructed_within_days before the warning.
    select w.warning_id as trigger_key, a.department, a.instruction_id, a.status as instruction_status
    from {{ ref('warnings') }} as w
    left join {{ ref('responsibility_list') }} as r on r.source_kind = 'warning' and r.source_type = w.rule_id
    join {{ ref('dispatch_instructions') }} as i
        on
            i.source_kind = 'warning'
            and i.source_type = w.rule_id
            and (
                (w.subject_kind = 'organisation' and i.organisation_key = w.subject_key)
                or (w.subject_kind = 'place' and i.place_key = w.subject_key)
            )
            and i.issued_at <= w.issued_at
            and i.issued_at > w.issued_at - to_days(coalesce(r.instructed_within_days, 0))
    join {{ ref('dispatch_assignments') }} as a using (instruction_id)
    qualify row_number() over (
        partition by w.warning_id, a.department order by a.issued_at desc, a.instruction_id desc
    ) = 1
)

select
    t.trigger_kind || ':' || t.trigger_key || ':' || t.task_number as task_id,
    t.trigger_kind,
    t.trigger_key,
    t.plan_id,
    t.level,
    t.task_number,
    t.department,
    t.task,
    t.resources as resource_kinds,
    m.nearest_resources,
    t.activated_at,
    t.due_at,
    d.instruction_id,
    d.instruction_status
from tasks as t
left join mobilised as m using (trigger_kind, trigger_key, task_number)
left join instructed as d
    on t.trigger_kind = 'warning' and d.trigger_key = t.trigger_key and d.department = t.department
