-- Warnings in force that no instruction answers: none of the command centre's instructions on
-- the same rule and subject was issued within the rule's `instructed_within_days`
-- (responsibility_list) before the warning. The warning ids are the warnings mart's.
with responsibility as (
    select * from {{ ref('responsibility_list') }}
    where source_kind = 'warning'
),

instructions as (
    select * from {{ ref('dispatch_instructions') }}
    where source_kind = 'warning'
)

select
    w.warning_id,
    w.rule_id,
    w.level,
    w.colour,
    w.subject_kind,
    w.subject_key,
    w.subject_name,
    w.area_name,
    w.issued_at,
    w.reasons,
    r.lead_department,
    r.supporting_departments
from {{ ref('warnings') }} as w
left join responsibility as r on r.source_type = w.rule_id
where not exists (
    select 1
    from instructions as i
    where
        i.source_type = w.rule_id
        and (
            (w.subject_kind = 'organisation' and i.organisation_key = w.subject_key)
            or (w.subject_kind = 'place' and i.place_key = w.subject_key)
        )
        and i.issued_at <= w.issued_at
        and i.issued_at > w.issued_at - to_days(coalesce(r.instructed_within_days, 0))
)
