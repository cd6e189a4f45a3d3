-- The city's days every warning rule is evaluated on (warning_history, int_triggered_warnings):
-- from the first delivery of any event's record to the latest. An incident another department
-- reported before its owner's record arrived counts from the report (fct_event.first_delivery_date),
-- so the first day is that of the first report, not of the first event's own record.
select unnest(generate_series(min(first_delivery_date), max(delivery_date), interval 1 day))::date as as_of_date
from {{ ref('fct_event') }}
