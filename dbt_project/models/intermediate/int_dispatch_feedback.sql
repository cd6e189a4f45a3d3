-- Every department's handling reports under one vocabulary: its own stage and outcome codes
-- read through handling_codes (seeds/config), so a department changing its codes is a
-- configuration change. A code the list lacks stays null and shows as incomplete feedback.
with codes as (select * from {{ ref('handling_codes') }})

select
    f.source_department as department,
    f.instruction_id,
    f.feedback_id,
    stage.meaning as stage,
    f.reported_at,
    f.feedback_text,
    outcome.meaning as outcome,
    f.delivery_date
from {{ ref('int_shared__handling_feedback') }} as f
left join codes as stage
    on stage.department = f.source_department and stage.field = 'stage' and stage.code = f.stage
left join codes as outcome
    on outcome.department = f.source_department and outcome.field = 'outcome' and outcome.code = f.outcome
