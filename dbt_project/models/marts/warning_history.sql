-- Every warning the rules would have raised on every day of the data, each from what had been
-- delivered by the end of that day: the current warnings are the newest day's, and the
-- earlier days let the rules be checked against what happened next (warning_accuracy). An
-- event counts from the first delivery of any of its records (fct_event.first_delivery_date),
-- so an owner's record that arrives late unsays no warning already sent.
-- Thresholds, windows, levels and areas are configuration (seeds/config/warning_rules.csv), and
-- the cross-department trigger rules are configuration only (warning_rule_triggers.csv,
-- int_triggered_warnings). Days are the city's calendar days, whatever the session's time zone.
with rules as (select * from {{ ref('int_warning_rules') }}),

days as (select * from {{ ref('int_warning_rule_days') }}),

subject_events as (select * from {{ ref('int_subject_events') }}),

-- 1. A grade-1 major hazard source whose holder has major hidden hazards past their deadline.
grade_one as (
    select
        organisation_key, arg_min(object_key, object_key) as object_key,
        string_agg(installation_name || ' (R ' || r_value || ')', ', ' order by installation_name) as installations
    from {{ ref('hazard_source_grades') }}
    where grade = 1 and organisation_key is not null
    group by organisation_key
),

hazard_source_overdue as (
    select
        d.as_of_date, r.rule_id, g.organisation_key as subject_key, g.object_key as located_by,
        count(*) as evidence,
        'grade-1 major hazard source ' || any_value(g.installations) || '; ' || count(*)
        || ' major hidden hazard(s) past deadline, oldest due ' || min(h.due_date) as reasons
    from rules as r
    cross join days as d
    join grade_one as g on true
    join subject_events as h
        on
            h.subject_kind = 'organisation' and h.subject_key = g.organisation_key and h.relation = 'named'
            and h.event_type in {{ event_types_that('rectifiable') }} and h.major_hazard
            and h.first_delivery_date <= d.as_of_date and h.due_date < d.as_of_date
            and (h.resolved_date is null or h.resolved_date > d.as_of_date)
    where r.rule_id = 'major_hazard_source_overdue_hazard'
    group by all
    having count(*) >= any_value(r.threshold)
),

-- 2. An air-quality episode at a station reaching the threshold level within the window.
stations as (
    select object_key, code, place_key from {{ ref('dim_object') }}
    where kind = 'monitoring_station'
),

air_pollution as (
    select
        d.as_of_date, r.rule_id, s.object_key as subject_key, s.object_key as located_by,
        count(*) as evidence,
        string_agg(
            'AQI level ' || e.peak_level || ' for ' || e.hours || ' h from ' || strftime(e.started_at, '%Y-%m-%d %H:00')
            || ' (peak ' || e.peak_aqi || ', ' || coalesce(e.primary_pollutant_at_peak, '') || ')',
            '; ' order by e.started_at
        ) as reasons
    from rules as r
    cross join days as d
    join {{ ref('int_air_quality_episodes') }} as e
        on
            e.peak_level >= r.threshold and e.delivery_date <= d.as_of_date
            and {{ city_date('e.started_at') }} > d.as_of_date - r.window_days
            and {{ city_date('e.started_at') }} <= d.as_of_date
    join stations as s on s.code = e.station_code
    where r.rule_id = 'air_pollution_episode'
    group by all
),

-- 3. Traffic accidents recurring at one road location.
accidents as (
    select e.event_key, e.place_key, e.occurred_at, e.first_delivery_date
    from {{ ref('fct_event') }} as e
    join {{ ref('dim_place') }} as p using (place_key)
    where e.event_type = 'traffic_accident' and p.location_source = 'delivered'
),

accident_cluster as (
    select
        d.as_of_date, r.rule_id, a.place_key as subject_key, a.place_key as located_by,
        count(*) as evidence,
        count(*)
        || ' traffic accidents in '
        || any_value(r.window_days)
        || ' days, latest '
        || max({{ city_date('a.occurred_at') }}) as reasons
    from rules as r
    cross join days as d
    join accidents as a
        on
            a.first_delivery_date <= d.as_of_date
            and {{ city_date('a.occurred_at') }} > d.as_of_date - r.window_days
            and {{ city_date('a.occurred_at') }} <= d.as_of_date
    where r.rule_id = 'accident_cluster'
    group by all
    having count(*) >= any_value(r.threshold)
),

-- 4. Repeated food-safety failures of one organisation.
food_failures as (
    select
        d.as_of_date, r.rule_id, f.subject_key, f.subject_key as located_by,
        count(*) as evidence,
        count(*)
        || ' failed food inspections or samplings in '
        || any_value(r.window_days)
        || ' days, latest '
        || max({{ city_date('f.occurred_at') }}) as reasons
    from rules as r
    cross join days as d
    join subject_events as f
        on
            f.subject_kind = 'organisation' and f.relation = 'named'
            and f.event_type in ('food_inspection_failure', 'food_sampling_failure')
            and f.first_delivery_date <= d.as_of_date
            and {{ city_date('f.occurred_at') }} > d.as_of_date - r.window_days
            and {{ city_date('f.occurred_at') }} <= d.as_of_date
    where r.rule_id = 'repeated_food_failures'
    group by all
    having count(*) >= any_value(r.threshold)
),

raised as (
    select * from hazard_source_overdue
    union all
    select * from air_pollution
    union all
    select * from accident_cluster
    union all
    select * from food_failures
    union all
    select * from {{ ref('int_triggered_warnings') }}
),

-- Where each warning is: the hazard installation or other object, the station, the place, or the
-- organisation's premises.
located as (
    select
        r.*,
        case rule.subject_kind
            when 'place' then r.subject_key
            when 'station' then station.place_key
            else coalesce(installation.place_key, organisation.place_key)
        end as place_key
    from raised as r
    join rules as rule using (rule_id)
    left join stations as station on station.object_key = r.located_by
    left join {{ ref('dim_object') }} as installation on installation.object_key = r.located_by
    left join {{ ref('dim_organisation') }} as organisation on organisation.organisation_key = r.subject_key
)

select
    md5(l.rule_id || '|' || l.subject_key || '|' || l.as_of_date) as warning_id,
    l.rule_id,
    rule.description as rule_description,
    rule.level,
    case rule.level when 1 then 'red' when 2 then 'orange' when 3 then 'yellow' else 'blue' end as colour,
    rule.event_type,
    rule.subject_kind,
    l.subject_key,
    coalesce(
        case rule.subject_kind
            when 'organisation' then org.name when 'station' then obj.name when 'object' then obj.name
            else pl.standard_address
        end,
        l.subject_key
    ) as subject_name,
    l.as_of_date,
    -- Issued when the day's deliveries are in (midnight after it), or now for the day still open.
    {{ warning_issued_at('l.as_of_date') }} as issued_at,
    {{ warning_issued_at('l.as_of_date') }} + to_hours(rule.valid_hours) as expires_at,
    pl.county_code,
    pl.township_code,
    coalesce(township.name, county.name) as area_name,
    pl.longitude,
    pl.latitude,
    rule.radius_m,
    l.evidence,
    l.reasons,
    rule.responsible_department
from located as l
join rules as rule using (rule_id)
left join {{ ref('dim_place') }} as pl on pl.place_key = l.place_key
-- Joined on the key alone (the subject kind picks the name above): a constant in the join
-- condition made DuckDB leave its hash join, 40 times slower on the large city.
left join {{ ref('dim_organisation') }} as org on org.organisation_key = l.subject_key
left join {{ ref('dim_object') }} as obj on obj.object_key = l.subject_key
left join {{ ref('dim_admin_division') }} as township on township.division_code = pl.township_code
left join {{ ref('dim_admin_division') }} as county on county.division_code = pl.county_code
