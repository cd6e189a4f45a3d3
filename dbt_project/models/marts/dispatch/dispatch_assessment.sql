-- How well each department handles its share (考核), per month of issue and over the whole
-- window ('all'): on-time signing and closing (of the assignments whose deadline has passed),
-- the overdue backlog, the reopen rate and the completeness of its feedback, weighed into one
-- score by assessment_weights (seeds/config). Rank 1 is the best of the period.
-- Its data-quality scorecard (reports/, the department_scorecard asset) stands beside it in
-- `safecity loop`.
with assignments as (select * from {{ ref('dispatch_assignments') }}),

periods as (
    select *, month as period from assignments
    union all
    select *, 'all' as period from assignments
),

measures as (
    select
        department,
        period,
        count(*) as assignments,
        count(*) filter (where sign_by <= as_of) as sign_due,
        count(*) filter (where sign_by <= as_of and signed_at <= sign_by) as signed_on_time,
        count(*) filter (where close_by <= as_of) as close_due,
        count(*) filter (where close_by <= as_of and closed_at <= close_by) as closed_on_time,
        count(closed_at) as closed,
        count(*) filter (where closed_at is null and (sign_overdue or arrive_overdue or close_overdue))
            as overdue_backlog,
        count(*) filter (where unanswered) as unanswered,
        count(*) filter (where reopened) as reopened,
        count(*) filter (where feedback_complete) as feedback_complete,
        sum(escalations)::bigint as escalations
    from periods
    group by all
),

rates as (
    select
        *,
        signed_on_time / nullif(sign_due, 0) as on_time_sign_rate,
        closed_on_time / nullif(close_due, 0) as on_time_close_rate,
        reopened / nullif(closed, 0) as reopen_rate,
        feedback_complete / nullif(closed, 0) as feedback_completeness
    from measures
),

weights as (select * from {{ ref('assessment_weights') }}),

scored as (
    select
        r.*,
        (
            select
                sum(
                    w.weight * case w.measure
                        when 'on_time_sign_rate' then coalesce(r.on_time_sign_rate, 1)
                        when 'on_time_close_rate' then coalesce(r.on_time_close_rate, 1)
                        when 'reopen_rate' then 1 - coalesce(r.reopen_rate, 0)
                        when 'feedback_completeness' then coalesce(r.feedback_completeness, 1)
                    end
                ) / sum(w.weight)
            from weights as w
        ) as score
    from rates as r
)

select
    s.department,
    s.period,
    s.assignments,
    round(s.on_time_sign_rate, 3) as on_time_sign_rate,
    round(s.on_time_close_rate, 3) as on_time_close_rate,
    s.overdue_backlog,
    s.unanswered,
    round(s.reopen_rate, 3) as reopen_rate,
    round(s.feedback_completeness, 3) as feedback_completeness,
    s.escalations,
    round(s.score, 3) as score,
    rank() over (partition by s.period order by s.score desc) as score_rank
from scored as s
