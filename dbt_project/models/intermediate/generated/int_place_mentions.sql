-- Generated from the contracts by `safecity contract generate`: edit those, not this.
-- Every location a mapped feed gives: a delivered point (WGS-84 in bronze), or an address in a county.
{{ config(materialized='incremental', incremental_strategy='replace_days', unique_key='source_record_id') }}
{%- set days_built = delivery_days_to_build() %}
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('incident_site' as varchar) as role,
    address,
    county_code,
    cast(null as varchar) as township_code,
    cast(null as double) as longitude,
    cast(null as double) as latitude,
    cast({{ location_key("null", "null", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_citizen_hotline__hotline_reports') }}
where (address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('instructed_site' as varchar) as role,
    address,
    county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_command_centre__instructions') }}
where (longitude is not null or address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('station_site' as varchar) as role,
    address,
    county_code,
    township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_ecology_environment__monitoring_stations') }}
where (longitude is not null or address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('discharge_site' as varchar) as role,
    address,
    county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_ecology_environment__pollution_sources') }}
where (longitude is not null or address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('shelter_site' as varchar) as role,
    address,
    county_code,
    township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_emergency_management__emergency_shelters') }}
where (longitude is not null or address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('premises' as varchar) as role,
    address,
    county_code,
    township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_emergency_management__enterprises') }}
where (longitude is not null or address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('installation_site' as varchar) as role,
    cast(null as varchar) as address,
    county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "null", "county_code") }} as varchar) as location_key
from {{ ref('stg_emergency_management__hazard_sources') }}
where (longitude is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('team_base' as varchar) as role,
    cast(base_address as varchar) as address,
    county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "base_address", "county_code") }} as varchar) as location_key
from {{ ref('stg_emergency_management__rescue_teams') }}
where (longitude is not null or base_address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('hazard_device_site' as varchar) as role,
    cast(null as varchar) as address,
    cast(null as varchar) as county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "null", "null") }} as varchar) as location_key
from {{ ref('int_emergency_management__sensor_telemetry__latest') }}
where (longitude is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('depot_site' as varchar) as role,
    address,
    county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_emergency_management__supply_depots') }}
where (longitude is not null or address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('accident_site' as varchar) as role,
    address,
    county_code,
    township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_emergency_management__work_accidents') }}
where (longitude is not null or address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('incident_site' as varchar) as role,
    address,
    county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_fire_rescue__fire_incidents') }}
where (longitude is not null or address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('inspected_premises' as varchar) as role,
    address,
    county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_fire_rescue__fire_inspections') }}
where (longitude is not null or address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('fire_station_site' as varchar) as role,
    address,
    county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_fire_rescue__fire_stations') }}
where (longitude is not null or address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('water_source_site' as varchar) as role,
    address,
    county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_fire_rescue__water_sources') }}
where (longitude is not null or address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('incident_site' as varchar) as role,
    address,
    county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("case when address is null then longitude end", "case when address is null then latitude end", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_health__ambulance_dispatches') }}
where (longitude is not null or address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('lifeline_device_site' as varchar) as role,
    cast(null as varchar) as address,
    cast(null as varchar) as county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "null", "null") }} as varchar) as location_key
from {{ ref('int_housing_construction__sensor_telemetry__latest') }}
where (longitude is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('premises' as varchar) as role,
    address,
    county_code,
    cast(null as varchar) as township_code,
    cast(null as double) as longitude,
    cast(null as double) as latitude,
    cast({{ location_key("null", "null", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_market_regulation__food_business_licences') }}
where (address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('inspected_premises' as varchar) as role,
    address,
    county_code,
    cast(null as varchar) as township_code,
    cast(null as double) as longitude,
    cast(null as double) as latitude,
    cast({{ location_key("null", "null", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_market_regulation__food_inspections') }}
where (address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('weather_station_site' as varchar) as role,
    cast(null as varchar) as address,
    county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "null", "county_code") }} as varchar) as location_key
from {{ ref('int_meteorology__weather_observations__latest') }}
where (longitude is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('incident_site' as varchar) as role,
    cast(location as varchar) as address,
    county_code,
    township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "location", "county_code") }} as varchar) as location_key
from {{ ref('stg_natural_resources__geohazard_incidents') }}
where (longitude is not null or location is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('hazard_site' as varchar) as role,
    cast(location as varchar) as address,
    county_code,
    township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "location", "county_code") }} as varchar) as location_key
from {{ ref('stg_natural_resources__geohazard_points') }}
where (longitude is not null or location is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('incident_site' as varchar) as role,
    address,
    county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("case when address is null then longitude end", "case when address is null then latitude end", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_public_security__police_alarms') }}
where (longitude is not null or address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('registered_address' as varchar) as role,
    cast(standard_address as varchar) as address,
    county_code,
    township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "standard_address", "county_code") }} as varchar) as location_key
from {{ ref('stg_public_security__standard_addresses') }}
where (longitude is not null or standard_address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('accident_site' as varchar) as role,
    address,
    county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_traffic_police__traffic_accidents') }}
where (longitude is not null or address is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('detector_site' as varchar) as role,
    cast(null as varchar) as address,
    cast(null as varchar) as county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "null", "null") }} as varchar) as location_key
from {{ ref('int_traffic_police__traffic_flow__latest') }}
where (longitude is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('gauge_site' as varchar) as role,
    cast(null as varchar) as address,
    county_code,
    cast(null as varchar) as township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "null", "county_code") }} as varchar) as location_key
from {{ ref('int_water__water_levels__latest') }}
where (longitude is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('waterlogging_site' as varchar) as role,
    address,
    county_code,
    township_code,
    longitude,
    latitude,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_water__waterlogging_points') }}
where (longitude is not null or address is not null) and {{ days_built }}
