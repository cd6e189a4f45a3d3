-- Generated from the contracts by `safecity contract generate`: edit those, not this.
with events as (
    select
        source_department,
        source_feed,
        source_record_id,
        cast(case classified_event_type when 'traffic_accident' then 'traffic_accident' when 'fire' then 'fire' when 'food_safety_complaint' then 'food_safety_complaint' when 'fire_hazard_complaint' then 'fire_hazard_complaint' when 'pollution_complaint' then 'pollution_complaint' when 'gas_leak_report' then 'gas_leak_report' when 'waterlogging_report' then 'waterlogging_report' when 'citizen_report' then 'citizen_report' end as varchar) as event_type,
        cast(case classified_event_type when 'traffic_accident' then 'accident_disaster' when 'fire' then 'accident_disaster' when 'food_safety_complaint' then 'public_health' when 'fire_hazard_complaint' then 'accident_disaster' when 'pollution_complaint' then 'accident_disaster' when 'gas_leak_report' then 'accident_disaster' when 'waterlogging_report' then 'natural_disaster' when 'citizen_report' then 'social_security' end as varchar) as category,
        cast(null as varchar) as severity,
        cast(called_at as timestamptz) as occurred_at,
        delivery_date,
        cast({{ location_key("null", "null", "address", "county_code") }} as varchar) as own_location_key,
        county_code,
        cast(null as bigint) as deaths,
        cast(null as bigint) as injuries,
        cast(content as varchar) as description,
        cast(null as date) as due_date,
        cast(null as date) as resolved_date,
        cast(null as boolean) as major
    from (select *, {{ classified_event_type("content", "'citizen_report'") }} as classified_event_type from {{ ref('stg_citizen_hotline__hotline_reports') }})
    where true
    union all
    select source_department, source_feed, source_record_id, event_type, category, severity, occurred_at, delivery_date, own_location_key, county_code, deaths, injuries, description, due_date, resolved_date, major
    from {{ ref('int_air_quality_episode_events') }}
    union all
    select
        source_department,
        source_feed,
        source_record_id,
        cast('emission_exceedance' as varchar) as event_type,
        cast('accident_disaster' as varchar) as category,
        cast(null as varchar) as severity,
        cast(measured_at as timestamptz) as occurred_at,
        delivery_date,
        cast(null as varchar) as own_location_key,
        cast(null as varchar) as county_code,
        cast(null as bigint) as deaths,
        cast(null as bigint) as injuries,
        cast(pollutant || ' ' || cast(measured_value as varchar) || ' ' || coalesce(unit, '') || ' (limit ' || cast(limit_value as varchar) || ')' as varchar) as description,
        cast(null as date) as due_date,
        cast(null as date) as resolved_date,
        cast(null as boolean) as major
    from {{ ref('stg_ecology_environment__emission_exceedances') }}
    where true
    union all
    select
        source_department,
        source_feed,
        source_record_id,
        cast('hidden_hazard' as varchar) as event_type,
        cast('accident_disaster' as varchar) as category,
        cast(null as varchar) as severity,
        cast(found_date as timestamptz) as occurred_at,
        delivery_date,
        cast(null as varchar) as own_location_key,
        county_code,
        cast(null as bigint) as deaths,
        cast(null as bigint) as injuries,
        cast(hazard_level || ': ' || coalesce(description, '') as varchar) as description,
        cast(rectify_deadline as date) as due_date,
        cast(rectified_date as date) as resolved_date,
        cast(hazard_level = '重大' as boolean) as major
    from {{ ref('stg_emergency_management__hidden_hazards') }}
    where true
    union all
    select source_department, source_feed, source_record_id, event_type, category, severity, occurred_at, delivery_date, own_location_key, county_code, deaths, injuries, description, due_date, resolved_date, major
    from {{ ref('int_sensor_alarm_events_emergency_management') }}
    union all
    select
        source_department,
        source_feed,
        source_record_id,
        cast('work_accident' as varchar) as event_type,
        cast('accident_disaster' as varchar) as category,
        cast({{ casualty_severity_grade("deaths", "serious_injuries") }} as varchar) as severity,
        occurred_at,
        delivery_date,
        cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as own_location_key,
        county_code,
        deaths,
        cast(coalesce(serious_injuries, 0) + coalesce(minor_injuries, 0) as bigint) as injuries,
        cast(accident_type as varchar) as description,
        cast(null as date) as due_date,
        cast(null as date) as resolved_date,
        cast(null as boolean) as major
    from {{ ref('stg_emergency_management__work_accidents') }}
    where true
    union all
    select
        source_department,
        source_feed,
        source_record_id,
        cast(case incident_type when '火灾' then 'fire' when '抢险救援' then 'rescue' when '社会救助' then 'social_assistance' end as varchar) as event_type,
        cast(case incident_type when '火灾' then 'accident_disaster' when '抢险救援' then 'accident_disaster' when '社会救助' then 'accident_disaster' end as varchar) as category,
        cast({{ casualty_severity_grade("deaths") }} as varchar) as severity,
        cast(alarm_at as timestamptz) as occurred_at,
        delivery_date,
        cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as own_location_key,
        county_code,
        deaths,
        injuries,
        cast(coalesce(fire_cause, incident_type) as varchar) as description,
        cast(null as date) as due_date,
        cast(null as date) as resolved_date,
        cast(null as boolean) as major
    from {{ ref('stg_fire_rescue__fire_incidents') }}
    where true
    union all
    select
        source_department,
        source_feed,
        source_record_id,
        cast('fire_hazard_finding' as varchar) as event_type,
        cast('accident_disaster' as varchar) as category,
        cast(null as varchar) as severity,
        cast(inspection_date as timestamptz) as occurred_at,
        delivery_date,
        cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as own_location_key,
        county_code,
        cast(null as bigint) as deaths,
        cast(null as bigint) as injuries,
        cast(hazard_level || ': ' || coalesce(hazard_description, '') as varchar) as description,
        cast(rectify_deadline as date) as due_date,
        cast(rectified_date as date) as resolved_date,
        cast(hazard_level = '重大' as boolean) as major
    from {{ ref('stg_fire_rescue__fire_inspections') }}
    where result = '发现隐患'
    union all
    select
        source_department,
        source_feed,
        source_record_id,
        cast(case call_reason when '胸痛' then 'medical_emergency' when '脑卒中' then 'medical_emergency' when '呼吸困难' then 'medical_emergency' when '意识障碍' then 'medical_emergency' when '中毒' then 'poisoning' when '外伤' then 'injury' when '跌倒' then 'injury' when '其他急症' then 'medical_emergency' when '交通伤' then 'traffic_accident' when '烧烫伤' then 'fire' end as varchar) as event_type,
        cast(case call_reason when '胸痛' then 'public_health' when '脑卒中' then 'public_health' when '呼吸困难' then 'public_health' when '意识障碍' then 'public_health' when '中毒' then 'public_health' when '外伤' then 'public_health' when '跌倒' then 'public_health' when '其他急症' then 'public_health' when '交通伤' then 'accident_disaster' when '烧烫伤' then 'accident_disaster' end as varchar) as category,
        cast(null as varchar) as severity,
        cast(called_at as timestamptz) as occurred_at,
        delivery_date,
        cast({{ location_key("case when address is null then longitude end", "case when address is null then latitude end", "address", "county_code") }} as varchar) as own_location_key,
        county_code,
        cast(null as bigint) as deaths,
        cast(null as bigint) as injuries,
        cast(call_reason || ', ' || coalesce(patient_grade, '') as varchar) as description,
        cast(null as date) as due_date,
        cast(null as date) as resolved_date,
        cast(null as boolean) as major
    from {{ ref('stg_health__ambulance_dispatches') }}
    where true
    union all
    select source_department, source_feed, source_record_id, event_type, category, severity, occurred_at, delivery_date, own_location_key, county_code, deaths, injuries, description, due_date, resolved_date, major
    from {{ ref('int_sensor_alarm_events_housing_construction') }}
    union all
    select
        source_department,
        source_feed,
        source_record_id,
        cast('food_inspection_failure' as varchar) as event_type,
        cast('public_health' as varchar) as category,
        cast(null as varchar) as severity,
        cast(inspection_date as timestamptz) as occurred_at,
        delivery_date,
        cast({{ location_key("null", "null", "address", "county_code") }} as varchar) as own_location_key,
        county_code,
        cast(null as bigint) as deaths,
        cast(null as bigint) as injuries,
        cast(findings as varchar) as description,
        cast(null as date) as due_date,
        cast(null as date) as resolved_date,
        cast(null as boolean) as major
    from {{ ref('stg_market_regulation__food_inspections') }}
    where result = '不符合'
    union all
    select
        source_department,
        source_feed,
        source_record_id,
        cast('food_sampling_failure' as varchar) as event_type,
        cast('public_health' as varchar) as category,
        cast(null as varchar) as severity,
        cast(sampling_date as timestamptz) as occurred_at,
        delivery_date,
        cast(null as varchar) as own_location_key,
        county_code,
        cast(null as bigint) as deaths,
        cast(null as bigint) as injuries,
        cast(food_name || ': ' || coalesce(failed_items, '') as varchar) as description,
        cast(null as date) as due_date,
        cast(null as date) as resolved_date,
        cast(null as boolean) as major
    from {{ ref('stg_market_regulation__food_sampling') }}
    where result = '不符合'
    union all
    select source_department, source_feed, source_record_id, event_type, category, severity, occurred_at, delivery_date, own_location_key, county_code, deaths, injuries, description, due_date, resolved_date, major
    from {{ ref('int_heavy_rainfall_events') }}
    union all
    select
        source_department,
        source_feed,
        source_record_id,
        cast('weather_warning' as varchar) as event_type,
        cast('natural_disaster' as varchar) as category,
        cast(null as varchar) as severity,
        cast(issued_at as timestamptz) as occurred_at,
        delivery_date,
        cast(null as varchar) as own_location_key,
        county_code,
        cast(null as bigint) as deaths,
        cast(null as bigint) as injuries,
        cast(signal_type || signal_level || '预警: ' || headline as varchar) as description,
        cast(null as date) as due_date,
        cast(null as date) as resolved_date,
        cast(null as boolean) as major
    from {{ ref('stg_meteorology__weather_warnings') }}
    where true
    union all
    select
        source_department,
        source_feed,
        source_record_id,
        cast(case hazard_type when '滑坡' then 'landslide' when '崩塌' then 'rockfall' when '泥石流' then 'debris_flow' when '地面塌陷' then 'ground_collapse' end as varchar) as event_type,
        cast(case hazard_type when '滑坡' then 'natural_disaster' when '崩塌' then 'natural_disaster' when '泥石流' then 'natural_disaster' when '地面塌陷' then 'natural_disaster' end as varchar) as category,
        cast({{ casualty_severity_grade("deaths") }} as varchar) as severity,
        occurred_at,
        delivery_date,
        cast({{ location_key("longitude", "latitude", "location", "county_code") }} as varchar) as own_location_key,
        county_code,
        deaths,
        injuries,
        cast(hazard_type || ': ' || coalesce(location, '') as varchar) as description,
        cast(null as date) as due_date,
        cast(null as date) as resolved_date,
        cast(null as boolean) as major
    from {{ ref('stg_natural_resources__geohazard_incidents') }}
    where true
    union all
    select
        source_department,
        source_feed,
        source_record_id,
        cast(case alarm_type when '盗窃' then 'theft' when '诈骗' then 'fraud' when '抢劫' then 'robbery' when '打架斗殴' then 'affray' when '邻里纠纷' then 'dispute' when '家庭纠纷' then 'dispute' when '求助' then 'social_assistance' when '火警' then 'fire' when '交通事故' then 'traffic_accident' end as varchar) as event_type,
        cast(case alarm_type when '盗窃' then 'social_security' when '诈骗' then 'social_security' when '抢劫' then 'social_security' when '打架斗殴' then 'social_security' when '邻里纠纷' then 'social_security' when '家庭纠纷' then 'social_security' when '求助' then 'accident_disaster' when '火警' then 'accident_disaster' when '交通事故' then 'accident_disaster' end as varchar) as category,
        cast(null as varchar) as severity,
        cast(alarm_at as timestamptz) as occurred_at,
        delivery_date,
        cast({{ location_key("case when address is null then longitude end", "case when address is null then latitude end", "address", "county_code") }} as varchar) as own_location_key,
        county_code,
        cast(null as bigint) as deaths,
        injuries,
        cast(alarm_type || ': ' || coalesce(outcome, '') as varchar) as description,
        cast(null as date) as due_date,
        cast(null as date) as resolved_date,
        cast(null as boolean) as major
    from {{ ref('stg_public_security__police_alarms') }}
    where true
    union all
    select
        source_department,
        source_feed,
        source_record_id,
        cast('traffic_accident' as varchar) as event_type,
        cast('accident_disaster' as varchar) as category,
        cast({{ casualty_severity_grade("deaths") }} as varchar) as severity,
        occurred_at,
        delivery_date,
        cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as own_location_key,
        county_code,
        deaths,
        injuries,
        cast(cause as varchar) as description,
        cast(null as date) as due_date,
        cast(null as date) as resolved_date,
        cast(null as boolean) as major
    from {{ ref('stg_traffic_police__traffic_accidents') }}
    where true
    union all
    select source_department, source_feed, source_record_id, event_type, category, severity, occurred_at, delivery_date, own_location_key, county_code, deaths, injuries, description, due_date, resolved_date, major
    from {{ ref('int_water_level_exceedance_events') }}
)

select md5(source_record_id) as event_key, *
from events
