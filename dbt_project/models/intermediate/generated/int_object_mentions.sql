-- Generated from the contracts by `safecity contract generate`: edit those, not this.
-- Every object a mapped feed names, keyed by its kind's prefix and its (normalised) code.
{{ config(materialized='incremental', incremental_strategy='replace_days', unique_key='source_record_id') }}
{%- set days_built = delivery_days_to_build() %}
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('station' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('monitoring_station' as varchar) as kind,
    cast('S:' || station_code as varchar) as code_key,
    cast(station_code as varchar) as code,
    cast(station_name as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_ecology_environment__monitoring_stations') }}
where (station_code is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('shelter' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('emergency_shelter' as varchar) as kind,
    cast('B:' || shelter_code as varchar) as code_key,
    cast(shelter_code as varchar) as code,
    cast(shelter_name as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_emergency_management__emergency_shelters') }}
where (shelter_code is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('installation' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('hazard_installation' as varchar) as kind,
    cast('I:' || hazard_source_code as varchar) as code_key,
    cast(hazard_source_code as varchar) as code,
    cast(installation_name as varchar) as name,
    cast(uscc as varchar) as owner_uscc,
    cast({{ location_key("longitude", "latitude", "null", "county_code") }} as varchar) as location_key
from {{ ref('stg_emergency_management__hazard_sources') }}
where (hazard_source_code is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('rescue_team' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('rescue_team' as varchar) as kind,
    cast('R:' || team_code as varchar) as code_key,
    cast(team_code as varchar) as code,
    cast(team_name as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast({{ location_key("longitude", "latitude", "base_address", "county_code") }} as varchar) as location_key
from {{ ref('stg_emergency_management__rescue_teams') }}
where (team_code is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('hazard_device' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('sensor_device' as varchar) as kind,
    cast('E:' || device_id as varchar) as code_key,
    cast(device_id as varchar) as code,
    cast(device_type as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast({{ location_key("longitude", "latitude", "null", "null") }} as varchar) as location_key
from {{ ref('int_emergency_management__sensor_telemetry__latest') }}
where (device_id is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('monitored_installation' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('hazard_installation' as varchar) as kind,
    cast('I:' || asset_id as varchar) as code_key,
    cast(asset_id as varchar) as code,
    cast(asset_name as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast(null as varchar) as location_key
from {{ ref('int_emergency_management__sensor_telemetry__latest') }}
where (asset_id is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('depot' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('supply_depot' as varchar) as kind,
    cast('U:' || depot_code as varchar) as code_key,
    cast(depot_code as varchar) as code,
    cast(depot_name as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_emergency_management__supply_depots') }}
where (depot_code is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('apparatus' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('fire_apparatus' as varchar) as kind,
    cast('F:' || apparatus_code as varchar) as code_key,
    cast(apparatus_code as varchar) as code,
    cast(apparatus_type as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast(null as varchar) as location_key
from {{ ref('stg_fire_rescue__fire_apparatus') }}
where (apparatus_code is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('water_source' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('water_source' as varchar) as kind,
    cast('Q:' || source_code as varchar) as code_key,
    cast(source_code as varchar) as code,
    cast(source_name as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_fire_rescue__water_sources') }}
where (source_code is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('lifeline_device' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('sensor_device' as varchar) as kind,
    cast('E:' || device_id as varchar) as code_key,
    cast(device_id as varchar) as code,
    cast(device_type as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast({{ location_key("longitude", "latitude", "null", "null") }} as varchar) as location_key
from {{ ref('int_housing_construction__sensor_telemetry__latest') }}
where (device_id is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('monitored_asset' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('lifeline_asset' as varchar) as kind,
    cast('L:' || asset_id as varchar) as code_key,
    cast(asset_id as varchar) as code,
    cast(asset_name as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast({{ location_key("longitude", "latitude", "null", "null") }} as varchar) as location_key
from {{ ref('int_housing_construction__sensor_telemetry__latest') }}
where (asset_id is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('weather_station' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('weather_station' as varchar) as kind,
    cast('W:' || station_code as varchar) as code_key,
    cast(station_code as varchar) as code,
    cast(station_name as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast({{ location_key("longitude", "latitude", "null", "county_code") }} as varchar) as location_key
from {{ ref('int_meteorology__weather_observations__latest') }}
where (station_code is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('hazard_point' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('geohazard_point' as varchar) as kind,
    cast('Z:' || point_code as varchar) as code_key,
    cast(point_code as varchar) as code,
    cast(null as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast({{ location_key("longitude", "latitude", "location", "county_code") }} as varchar) as location_key
from {{ ref('stg_natural_resources__geohazard_incidents') }}
where (point_code is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('hazard_point' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('geohazard_point' as varchar) as kind,
    cast('Z:' || point_code as varchar) as code_key,
    cast(point_code as varchar) as code,
    cast(point_name as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast({{ location_key("longitude", "latitude", "location", "county_code") }} as varchar) as location_key
from {{ ref('stg_natural_resources__geohazard_points') }}
where (point_code is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('involved_vehicle' as varchar) as role,
    cast(_slot as bigint) as slot,
    cast('vehicle' as varchar) as kind,
    cast('V:' || {{ normalise_plate("_item.plate_no") }} as varchar) as code_key,
    cast({{ normalise_plate("_item.plate_no") }} as varchar) as code,
    cast(_item.vehicle_type as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast(null as varchar) as location_key
from (select *, unnest(vehicles) as _item, unnest(range(1, len(vehicles) + 1)) as _slot from {{ ref('stg_traffic_police__traffic_accidents') }})
where ({{ normalise_plate("_item.plate_no") }} is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('detector' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('traffic_detector' as varchar) as kind,
    cast('D:' || detector_id as varchar) as code_key,
    cast(detector_id as varchar) as code,
    cast(road_name as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast({{ location_key("longitude", "latitude", "null", "null") }} as varchar) as location_key
from {{ ref('int_traffic_police__traffic_flow__latest') }}
where (detector_id is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('gauge' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('hydrological_station' as varchar) as kind,
    cast('H:' || station_code as varchar) as code_key,
    cast(station_code as varchar) as code,
    cast(station_name as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast({{ location_key("longitude", "latitude", "null", "county_code") }} as varchar) as location_key
from {{ ref('int_water__water_levels__latest') }}
where (station_code is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('waterlogging_point' as varchar) as role,
    cast(1 as bigint) as slot,
    cast('waterlogging_point' as varchar) as kind,
    cast('J:' || point_code as varchar) as code_key,
    cast(point_code as varchar) as code,
    cast(point_name as varchar) as name,
    cast(null as varchar) as owner_uscc,
    cast({{ location_key("longitude", "latitude", "address", "county_code") }} as varchar) as location_key
from {{ ref('stg_water__waterlogging_points') }}
where (point_code is not null) and {{ days_built }}
