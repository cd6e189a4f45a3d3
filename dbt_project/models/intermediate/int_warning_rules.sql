-- Every warning rule, from both seeds: warning_rules (each implemented by its rule_id in
-- warning_history) and warning_rule_triggers (all implemented alike by int_triggered_warnings).
select
    rule_id, level, event_type, subject_kind, cast(null as varchar) as subject_object_kind,
    threshold, window_days, radius_m, valid_hours, follow_up_days, outcome_event_types,
    responsible_department, description, 'warning_rules' as configured_in
from {{ ref('warning_rules') }}
union all
select
    rule_id, level, event_type, subject_kind, subject_object_kind,
    threshold, window_days, radius_m, valid_hours, follow_up_days, outcome_event_types,
    responsible_department, description, 'warning_rule_triggers' as configured_in
from {{ ref('warning_rule_triggers') }}
