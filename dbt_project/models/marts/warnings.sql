-- The warnings in force: those raised from everything delivered up to the newest day.
-- Each is exported as a CAP 1.2 alert (the alerts/cap asset).
select * exclude (evidence)
from {{ ref('warning_history') }}
where as_of_date = (select max(e.delivery_date) from {{ ref('fct_event') }} as e)
