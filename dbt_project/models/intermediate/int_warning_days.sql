-- Every day a rule raises a warning, as a day in the life of one continuing warning. The days a
-- rule raises a warning on one subject without a break are one warning (one lifecycle), named for
-- good by its first day's warning_id. Whether the day sends a CAP message is decided here: the
-- first day an Alert; a later day an Update when its level or area differs from the day before,
-- or when the warning's last message is about to run out (renewed every floor(valid_hours / 24)
-- days after the last Alert or change, at least daily), so that a warning that continues is
-- always in force for its receivers. Any other day sends nothing (msg_type null).
with history as (
    select
        h.*,
        r.valid_hours,
        -- Days without a break share one island: the date less the day's rank is constant.
        h.as_of_date - cast(
            row_number() over (partition by h.rule_id, h.subject_key order by h.as_of_date) as integer
        ) as island
    from {{ ref('warning_history') }} as h
    join {{ ref('int_warning_rules') }} as r using (rule_id)
),

days as (
    select
        *,
        first_value(warning_id) over lifecycle as lifecycle_id,
        row_number() over lifecycle as day_number,
        lag(level) over lifecycle as previous_level,
        lag(county_code) over lifecycle as previous_county_code,
        lag(township_code) over lifecycle as previous_township_code,
        lag(longitude) over lifecycle as previous_longitude,
        lag(latitude) over lifecycle as previous_latitude
    from history
    window lifecycle as (partition by rule_id, subject_key, island order by as_of_date)
),

changes as (
    select
        *,
        day_number = 1 as is_first,
        day_number > 1 and level <> previous_level as level_changed,
        day_number > 1 and (
            county_code is distinct from previous_county_code
            or township_code is distinct from previous_township_code
            or longitude is distinct from previous_longitude
            or latitude is distinct from previous_latitude
        ) as area_changed
    from days
),

anchored as (
    select
        *,
        -- The latest day that sent an Alert or a change Update: renewals count from it.
        max(case when is_first or level_changed or area_changed then day_number end) over (
            partition by lifecycle_id order by day_number rows between unbounded preceding and current row
        ) as anchor_day,
        greatest(1, valid_hours // 24) as renew_every_days
    from changes
),

decided as (
    select
        *,
        not is_first and not level_changed and not area_changed
        and (day_number - anchor_day) % renew_every_days = 0 as renewed
    from anchored
)

select
    lifecycle_id,
    day_number,
    case when is_first then 'Alert' when level_changed or area_changed or renewed then 'Update' end as msg_type,
    nullif(concat_ws(
        '|',
        case when level_changed then 'level' end,
        case when area_changed then 'area' end,
        case when renewed then 'renewed' end
    ), '') as update_reasons,
    warning_id,
    rule_id,
    rule_description,
    level,
    colour,
    event_type,
    subject_kind,
    subject_key,
    subject_name,
    as_of_date,
    issued_at,
    expires_at,
    county_code,
    township_code,
    area_name,
    longitude,
    latitude,
    radius_m,
    evidence,
    reasons,
    responsible_department
from decided
