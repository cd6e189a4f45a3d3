-- Hazards past their deadline and still open, per responsible department: the follow-up list.
select
    responsible_department,
    event_type,
    count(*) as open_overdue,
    count(*) filter (where major_hazard) as major_open_overdue,
    min(due_date) as oldest_deadline,
    median(days_overdue) as median_days_overdue,
    max(days_overdue) as max_days_overdue
from {{ ref('hazard_rectification') }}
where status = 'open_overdue'
group by all
