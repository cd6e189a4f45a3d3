-- Every event of the five departments, in one shape. National categories (docs/architecture.md):
-- natural_disaster, accident_disaster, public_health, social_security. Severity I-IV
-- where a casualty grading applies (accidents and fires), null where none does.
with stations as (
    -- Each monitoring station as its latest register entry has it.
    select station_code, arg_max(columns(* exclude (station_code)), delivery_date)
    from {{ ref('stg_ecology_environment__monitoring_stations') }}
    group by station_code
),

events as (
    select
        source_department, source_feed, source_record_id, 'food_inspection_failure' as event_type,
        'public_health' as category, cast(null as varchar) as severity,
        cast(inspection_date as timestamptz) as occurred_at, delivery_date,
        {{ location_key('null', 'null', 'address', 'county_code') }} as own_location_key, county_code,
        cast(null as bigint) as deaths, cast(null as bigint) as injuries,
        findings as description,
        cast(null as date) as due_date,
        cast(null as date) as resolved_date
    from {{ ref('stg_market_regulation__food_inspections') }}
    where failed
    union all by name
    select
        source_department,
        source_feed,
        source_record_id,
        'food_sampling_failure' as event_type,
        'public_health' as category,
        null as severity,
        cast(sampling_date as timestamptz) as occurred_at,
        delivery_date,
        null as own_location_key,
        county_code,
        null as deaths,
        null as injuries,
        food_name || ': ' || coalesce(failed_items, '') as description
    from {{ ref('stg_market_regulation__food_sampling') }}
    where failed
    union all by name
    select
        source_department,
        source_feed,
        source_record_id,
        'traffic_accident' as event_type,
        'accident_disaster' as category,
        {{ casualty_severity_grade('deaths') }} as severity,
        occurred_at,
        delivery_date,
        {{ location_key('longitude', 'latitude', 'address', 'county_code') }} as own_location_key,
        county_code,
        deaths,
        injuries,
        cause as description
    from {{ ref('stg_traffic_police__traffic_accidents') }}
    union all by name
    select
        source_department,
        source_feed,
        source_record_id,
        case incident_type when '火灾' then 'fire' when '抢险救援' then 'rescue' else 'social_assistance' end as event_type,
        'accident_disaster' as category,
        {{ casualty_severity_grade('deaths') }} as severity,
        alarm_at as occurred_at,
        delivery_date,
        {{ location_key('longitude', 'latitude', 'address', 'county_code') }} as own_location_key,
        county_code,
        deaths,
        injuries,
        coalesce(fire_cause, incident_type) as description
    from {{ ref('stg_fire_rescue__fire_incidents') }}
    union all by name
    select
        source_department,
        source_feed,
        source_record_id,
        'fire_hazard_finding' as event_type,
        'accident_disaster' as category,
        null as severity,
        cast(inspection_date as timestamptz) as occurred_at,
        delivery_date,
        {{ location_key('longitude', 'latitude', 'address', 'county_code') }} as own_location_key,
        county_code,
        null as deaths,
        null as injuries,
        hazard_level || ': ' || coalesce(hazard_description, '') as description,
        rectify_deadline as due_date,
        rectified_date as resolved_date,
        hazard_level = '重大' as major
    from {{ ref('stg_fire_rescue__fire_inspections') }}
    where hazard_found
    union all by name
    select
        source_department,
        source_feed,
        source_record_id,
        'hidden_hazard' as event_type,
        'accident_disaster' as category,
        null as severity,
        cast(found_date as timestamptz) as occurred_at,
        delivery_date,
        null as own_location_key,
        county_code,
        null as deaths,
        null as injuries,
        hazard_level || ': ' || coalesce(description, '') as description,
        rectify_deadline as due_date,
        rectified_date as resolved_date,
        hazard_level = '重大' as major
    from {{ ref('stg_emergency_management__hidden_hazards') }}
    union all by name
    select
        source_department,
        source_feed,
        source_record_id,
        'work_accident' as event_type,
        'accident_disaster' as category,
        {{ casualty_severity_grade('deaths', 'serious_injuries') }} as severity,
        occurred_at,
        delivery_date,
        {{ location_key('longitude', 'latitude', 'address', 'county_code') }} as own_location_key,
        county_code,
        deaths,
        coalesce(serious_injuries, 0) + coalesce(minor_injuries, 0) as injuries,
        accident_type as description
    from {{ ref('stg_emergency_management__work_accidents') }}
    union all by name
    select
        source_department,
        source_feed,
        source_record_id,
        'emission_exceedance' as event_type,
        'accident_disaster' as category,
        null as severity,
        measured_at as occurred_at,
        delivery_date,
        null as own_location_key,
        null as county_code,
        null as deaths,
        null as injuries,
        pollutant
        || ' '
        || cast(measured_value as varchar)
        || ' '
        || coalesce(unit, '')
        || ' (limit '
        || cast(limit_value as varchar)
        || ')' as description
    from {{ ref('stg_ecology_environment__emission_exceedances') }}
    union all by name
    -- An episode is derived from hours of readings; its lineage is its first hour's record.
    -- It is an event where its station is known (air_quality_episodes lists the others).
    select
        'ecology_environment' as source_department,
        'air_quality_hourly' as source_feed,
        e.first_source_record_id as source_record_id,
        'air_quality_episode' as event_type,
        'accident_disaster' as category,
        null as severity,
        e.started_at as occurred_at,
        e.delivery_date,
        {{ location_key('s.longitude', 's.latitude', 's.address', 's.county_code') }} as own_location_key,
        s.county_code,
        null as deaths,
        null as injuries,
        'AQI level ' || e.peak_level || ' for ' || e.hours || ' h (peak ' || e.peak_aqi || ', '
        || coalesce(e.primary_pollutant_at_peak, '') || ')' as description
    from {{ ref('int_air_quality_episodes') }} as e
    join stations as s using (station_code)
)

select md5(source_record_id) as event_key, *
from events
