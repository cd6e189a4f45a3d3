-- Generated from the contracts by `safecity contract generate`: edit those, not this.
-- Every mention of an organisation in any mapped feed, with whatever identifies it there.
{{ config(materialized='incremental', incremental_strategy='replace_days', unique_key='source_record_id') }}
{%- set days_built = delivery_days_to_build() %}
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('reported_unit' as varchar) as role,
    cast(1 as bigint) as slot,
    cast(null as varchar) as uscc,
    cast(null as varchar) as licence_no,
    cast(null as varchar) as permit_no,
    cast(reported_unit as varchar) as name,
    cast({{ normalise_org_name("reported_unit") }} as varchar) as name_normalised,
    county_code,
    cast(null as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    cast(null as varchar) as industry_code
from {{ ref('stg_citizen_hotline__hotline_reports') }}
where (reported_unit is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('instructed_unit' as varchar) as role,
    cast(1 as bigint) as slot,
    cast(unit_uscc as varchar) as uscc,
    cast(null as varchar) as licence_no,
    cast(null as varchar) as permit_no,
    cast(unit_name as varchar) as name,
    cast({{ normalise_org_name("unit_name") }} as varchar) as name_normalised,
    county_code,
    cast(null as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    cast(null as varchar) as industry_code
from {{ ref('stg_command_centre__instructions') }}
where (unit_name is not null or unit_uscc is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('polluter' as varchar) as role,
    cast(1 as bigint) as slot,
    cast(left(permit_no, 18) as varchar) as uscc,
    cast(null as varchar) as licence_no,
    permit_no,
    cast(null as varchar) as name,
    cast(null as varchar) as name_normalised,
    cast(null as varchar) as county_code,
    cast(null as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    cast(null as varchar) as industry_code
from {{ ref('stg_ecology_environment__emission_exceedances') }}
where (left(permit_no, 18) is not null or permit_no is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('permit_holder' as varchar) as role,
    cast(1 as bigint) as slot,
    cast(coalesce(uscc, left(permit_no, 18)) as varchar) as uscc,
    cast(null as varchar) as licence_no,
    permit_no,
    cast(unit_name as varchar) as name,
    cast({{ normalise_org_name("unit_name") }} as varchar) as name_normalised,
    county_code,
    cast(null as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    industry_code
from {{ ref('stg_ecology_environment__pollution_sources') }}
where (unit_name is not null or coalesce(uscc, left(permit_no, 18)) is not null or permit_no is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('registered' as varchar) as role,
    cast(1 as bigint) as slot,
    uscc,
    cast(null as varchar) as licence_no,
    cast(null as varchar) as permit_no,
    cast(enterprise_name as varchar) as name,
    cast({{ normalise_org_name("enterprise_name") }} as varchar) as name_normalised,
    county_code,
    cast(enterprise_type as varchar) as organisation_type,
    legal_rep_name,
    cast({{ mask_identity("legal_rep_id_number") }} as varchar) as legal_rep_id_masked,
    cast(legal_rep_id_number_hash as varchar) as legal_rep_id_hash,
    phone,
    industry_code
from {{ ref('stg_emergency_management__enterprises') }}
where (enterprise_name is not null or uscc is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('operator' as varchar) as role,
    cast(1 as bigint) as slot,
    uscc,
    cast(null as varchar) as licence_no,
    cast(null as varchar) as permit_no,
    cast(enterprise_name as varchar) as name,
    cast({{ normalise_org_name("enterprise_name") }} as varchar) as name_normalised,
    county_code,
    cast(null as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    cast(null as varchar) as industry_code
from {{ ref('stg_emergency_management__hazard_sources') }}
where (enterprise_name is not null or uscc is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('responsible_unit' as varchar) as role,
    cast(1 as bigint) as slot,
    uscc,
    cast(null as varchar) as licence_no,
    cast(null as varchar) as permit_no,
    cast(enterprise_name as varchar) as name,
    cast({{ normalise_org_name("enterprise_name") }} as varchar) as name_normalised,
    county_code,
    cast(null as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    cast(null as varchar) as industry_code
from {{ ref('stg_emergency_management__hidden_hazards') }}
where (enterprise_name is not null or uscc is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('responsible_unit' as varchar) as role,
    cast(1 as bigint) as slot,
    uscc,
    cast(null as varchar) as licence_no,
    cast(null as varchar) as permit_no,
    cast(enterprise_name as varchar) as name,
    cast({{ normalise_org_name("enterprise_name") }} as varchar) as name_normalised,
    county_code,
    cast(null as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    cast(null as varchar) as industry_code
from {{ ref('stg_emergency_management__work_accidents') }}
where (enterprise_name is not null or uscc is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('home_station' as varchar) as role,
    cast(1 as bigint) as slot,
    cast(null as varchar) as uscc,
    cast(null as varchar) as licence_no,
    cast(null as varchar) as permit_no,
    cast(home_station as varchar) as name,
    cast({{ normalise_org_name("home_station") }} as varchar) as name_normalised,
    cast(null as varchar) as county_code,
    cast('fire_station' as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    cast(null as varchar) as industry_code
from {{ ref('stg_fire_rescue__fire_apparatus') }}
where (home_station is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('involved_unit' as varchar) as role,
    cast(1 as bigint) as slot,
    cast(null as varchar) as uscc,
    cast(null as varchar) as licence_no,
    cast(null as varchar) as permit_no,
    cast(involved_unit as varchar) as name,
    cast({{ normalise_org_name("involved_unit") }} as varchar) as name_normalised,
    county_code,
    cast(null as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    cast(null as varchar) as industry_code
from {{ ref('stg_fire_rescue__fire_incidents') }}
where (involved_unit is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('responding_station' as varchar) as role,
    cast(_slot as bigint) as slot,
    cast(null as varchar) as uscc,
    cast(null as varchar) as licence_no,
    cast(null as varchar) as permit_no,
    cast(_part as varchar) as name,
    cast({{ normalise_org_name("_part") }} as varchar) as name_normalised,
    cast(null as varchar) as county_code,
    cast('fire_station' as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    cast(null as varchar) as industry_code
from (select *, unnest(string_split(stations_sent, ';')) as _part, unnest(range(1, len(string_split(stations_sent, ';')) + 1)) as _slot from {{ ref('stg_fire_rescue__fire_incidents') }})
where (_part is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('inspected' as varchar) as role,
    cast(1 as bigint) as slot,
    uscc,
    cast(null as varchar) as licence_no,
    cast(null as varchar) as permit_no,
    cast(unit_name as varchar) as name,
    cast({{ normalise_org_name("unit_name") }} as varchar) as name_normalised,
    county_code,
    cast(unit_type as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    cast(null as varchar) as industry_code
from {{ ref('stg_fire_rescue__fire_inspections') }}
where (unit_name is not null or uscc is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('fire_station' as varchar) as role,
    cast(1 as bigint) as slot,
    cast(null as varchar) as uscc,
    cast(null as varchar) as licence_no,
    cast(null as varchar) as permit_no,
    cast(station_name as varchar) as name,
    cast({{ normalise_org_name("station_name") }} as varchar) as name_normalised,
    county_code,
    cast('fire_station' as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    cast(null as varchar) as industry_code
from {{ ref('stg_fire_rescue__fire_stations') }}
where (station_name is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('receiving_hospital' as varchar) as role,
    cast(1 as bigint) as slot,
    cast(null as varchar) as uscc,
    cast(null as varchar) as licence_no,
    cast(null as varchar) as permit_no,
    cast(receiving_hospital as varchar) as name,
    cast({{ normalise_org_name("receiving_hospital") }} as varchar) as name_normalised,
    cast(null as varchar) as county_code,
    cast('hospital' as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    cast(null as varchar) as industry_code
from {{ ref('stg_health__ambulance_dispatches') }}
where (receiving_hospital is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('reporting_hospital' as varchar) as role,
    cast(1 as bigint) as slot,
    uscc,
    cast(null as varchar) as licence_no,
    cast(null as varchar) as permit_no,
    cast(hospital_name as varchar) as name,
    cast({{ normalise_org_name("hospital_name") }} as varchar) as name_normalised,
    county_code,
    cast('hospital' as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    cast(null as varchar) as industry_code
from {{ ref('stg_health__hospital_beds') }}
where (hospital_name is not null or uscc is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('licensee' as varchar) as role,
    cast(1 as bigint) as slot,
    uscc,
    licence_no,
    cast(null as varchar) as permit_no,
    cast(business_name as varchar) as name,
    cast({{ normalise_org_name("business_name") }} as varchar) as name_normalised,
    county_code,
    cast(business_type as varchar) as organisation_type,
    legal_rep_name,
    legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    phone,
    cast(null as varchar) as industry_code
from {{ ref('stg_market_regulation__food_business_licences') }}
where (business_name is not null or uscc is not null or licence_no is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('inspected' as varchar) as role,
    cast(1 as bigint) as slot,
    cast(null as varchar) as uscc,
    licence_no,
    cast(null as varchar) as permit_no,
    cast(business_name as varchar) as name,
    cast({{ normalise_org_name("business_name") }} as varchar) as name_normalised,
    county_code,
    cast(null as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    cast(null as varchar) as industry_code
from {{ ref('stg_market_regulation__food_inspections') }}
where (business_name is not null or licence_no is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('sampled' as varchar) as role,
    cast(1 as bigint) as slot,
    cast(null as varchar) as uscc,
    licence_no,
    cast(null as varchar) as permit_no,
    cast(business_name as varchar) as name,
    cast({{ normalise_org_name("business_name") }} as varchar) as name_normalised,
    county_code,
    cast(null as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    cast(null as varchar) as industry_code
from {{ ref('stg_market_regulation__food_sampling') }}
where (business_name is not null or licence_no is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('involved_unit' as varchar) as role,
    cast(1 as bigint) as slot,
    cast(null as varchar) as uscc,
    cast(null as varchar) as licence_no,
    cast(null as varchar) as permit_no,
    cast(involved_unit as varchar) as name,
    cast({{ normalise_org_name("involved_unit") }} as varchar) as name_normalised,
    county_code,
    cast(null as varchar) as organisation_type,
    cast(null as varchar) as legal_rep_name,
    cast(null as varchar) as legal_rep_id_masked,
    cast(null as varchar) as legal_rep_id_hash,
    cast(null as varchar) as phone,
    cast(null as varchar) as industry_code
from {{ ref('stg_public_security__police_alarms') }}
where (involved_unit is not null) and {{ days_built }}
