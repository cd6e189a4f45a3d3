-- The loop back to the rules: for each warning rule (and event type) the command centre
-- instructs on, how often the lead department's closed handling found a real problem.
select
    a.source_kind,
    a.source_type,
    count(distinct a.instruction_id) as instructions,
    count(a.closed_at) as closed,
    count(*) filter (where a.outcome = 'problem_found') as problem_found,
    count(*) filter (where a.outcome = 'no_problem') as no_problem,
    round(
        count(*) filter (where a.outcome = 'problem_found')
        / nullif(count(*) filter (where a.outcome is not null), 0),
        3
    ) as problem_found_rate,
    count(*) filter (where a.reopened) as reopened
from {{ ref('dispatch_assignments') }} as a
where a.role = 'lead'
group by all
