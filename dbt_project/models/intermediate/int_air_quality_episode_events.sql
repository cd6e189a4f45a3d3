-- Air-quality episodes as events (the ecology_environment/air_quality_hourly contract names this
-- model in its mapping's derivedEvents): an episode is derived from hours of readings, so it is
-- computed here, not declared. Its lineage is its first hour's record. It is an event where its
-- station is known (air_quality_episodes lists the others), placed where the station's latest
-- register entry puts it.
with stations as (
    select station_code, arg_max(columns(* exclude (station_code)), delivery_date)
    from {{ ref('stg_ecology_environment__monitoring_stations') }}
    group by station_code
)

select
    'ecology_environment' as source_department,
    'air_quality_hourly' as source_feed,
    e.first_source_record_id as source_record_id,
    'air_quality_episode' as event_type,
    'accident_disaster' as category,
    cast(null as varchar) as severity,
    e.started_at as occurred_at,
    e.delivery_date,
    {{ location_key('s.longitude', 's.latitude', 's.address', 's.county_code') }} as own_location_key,
    s.county_code,
    cast(null as bigint) as deaths,
    cast(null as bigint) as injuries,
    'AQI level ' || e.peak_level || ' for ' || e.hours || ' h (peak ' || e.peak_aqi || ', '
    || coalesce(e.primary_pollutant_at_peak, '') || ')' as description,
    cast(null as date) as due_date,
    cast(null as date) as resolved_date,
    cast(null as boolean) as major
from {{ ref('int_air_quality_episodes') }} as e
join stations as s using (station_code)
