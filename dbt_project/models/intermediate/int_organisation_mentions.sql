-- Every mention of an organisation in any feed, with whatever identifies it there.
select * replace (coalesce(slot, 1) as slot) from (
    select
        source_department, source_feed, source_record_id, delivery_date, 'licensee' as role,
        uscc, licence_no, business_name as name, business_name_normalised as name_normalised, county_code,
        business_type as organisation_type, legal_rep_name, legal_rep_id_masked,
        cast(null as varchar) as legal_rep_id_hash, phone, cast(null as varchar) as industry_code
    from {{ ref('stg_market_regulation__food_business_licences') }}
    union all by name
    select
        source_department, source_feed, source_record_id, delivery_date, 'inspected' as role,
        licence_no, business_name as name, business_name_normalised as name_normalised, county_code
    from {{ ref('stg_market_regulation__food_inspections') }}
    union all by name
    select
        source_department, source_feed, source_record_id, delivery_date, 'sampled' as role,
        licence_no, business_name as name, business_name_normalised as name_normalised, county_code
    from {{ ref('stg_market_regulation__food_sampling') }}
    union all by name
    select
        source_department, source_feed, source_record_id, delivery_date, 'involved_unit' as role,
        involved_unit as name, involved_unit_normalised as name_normalised, county_code
    from {{ ref('stg_fire_rescue__fire_incidents') }}
    where involved_unit is not null
    union all by name
    -- Stations sent to an incident: fire and rescue's own units, named in one text cell.
    select
        source_department, source_feed, source_record_id, delivery_date, 'responding_station' as role,
        unnest(string_split(stations_sent, ';')) as name, unnest(string_split(stations_sent, ';')) as name_normalised,
        unnest(range(1, len(string_split(stations_sent, ';')) + 1)) as slot, 'fire_station' as organisation_type
    from {{ ref('stg_fire_rescue__fire_incidents') }}
    union all by name
    select
        source_department, source_feed, source_record_id, delivery_date, 'inspected' as role,
        uscc, unit_name as name, unit_name_normalised as name_normalised, county_code
    from {{ ref('stg_fire_rescue__fire_inspections') }}
    union all by name
    select
        source_department, source_feed, source_record_id, delivery_date, 'registered' as role,
        uscc, enterprise_name as name, enterprise_name_normalised as name_normalised, county_code,
        enterprise_type as organisation_type,
        legal_rep_name,
        legal_rep_id_masked,
        legal_rep_id_hash,
        phone,
        industry_code
    from {{ ref('stg_emergency_management__enterprises') }}
    union all by name
    select
        source_department, source_feed, source_record_id, delivery_date, 'operator' as role,
        uscc, enterprise_name as name, enterprise_name_normalised as name_normalised, county_code
    from {{ ref('stg_emergency_management__hazard_sources') }}
    union all by name
    select
        source_department, source_feed, source_record_id, delivery_date, 'responsible_unit' as role,
        uscc, enterprise_name as name, enterprise_name_normalised as name_normalised, county_code
    from {{ ref('stg_emergency_management__hidden_hazards') }}
    union all by name
    select
        source_department, source_feed, source_record_id, delivery_date, 'responsible_unit' as role,
        uscc, enterprise_name as name, enterprise_name_normalised as name_normalised, county_code
    from {{ ref('stg_emergency_management__work_accidents') }}
    union all by name
    select
        source_department, source_feed, source_record_id, delivery_date, 'permit_holder' as role,
        uscc, permit_no, unit_name as name, unit_name_normalised as name_normalised, county_code, industry_code
    from {{ ref('stg_ecology_environment__pollution_sources') }}
    union all by name
    select
        source_department, source_feed, source_record_id, delivery_date, 'polluter' as role,
        uscc, permit_no
    from {{ ref('stg_ecology_environment__emission_exceedances') }}
)
