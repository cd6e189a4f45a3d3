-- The figures each resource's register gives, by the resource's key: a shelter's capacity and
-- the people it serves, a team's headcount and availability, a water source's or appliance's
-- state, a station's crew on duty, a depot's stock lines, a hospital's beds. The latest record
-- of each wins (macros/register_figures.sql). Which status counts as available is configuration
-- (resource_settings.available_statuses).
with depots as (
    -- A depot's register has a row per stock line: its figures are the lines together (the
    -- items in a fixed order, so two builds of the same data are equal).
    select
        o.object_key as resource_key,
        {
            capacity: count(distinct d.item_code)::bigint,
            served: null::bigint,
            area_m2: null::double,
            water_t: null::double,
            detail: string_agg(distinct d.item_name, '、' order by d.item_name)
        } as f,
        null::varchar as status
    from {{ ref('stg_emergency_management__supply_depots') }} as d
    inner join {{ ref('int_object_resolution') }} as o
        on o.source_feed = d.source_feed and o.source_record_id = d.source_record_id
    group by o.object_key
),

figures as (
    {{ latest_register_figures(
        'stg_emergency_management__emergency_shelters',
        capacity='g.capacity_persons', served='g.service_population', area_m2='g.area_m2',
        detail='g.shelter_type'
    ) }}
    union all
    {{ latest_register_figures(
        'stg_emergency_management__rescue_teams',
        capacity='g.headcount', detail='g.specialty', status='g.availability'
    ) }}
    union all
    {{ latest_register_figures(
        'stg_fire_rescue__water_sources', detail='g.source_type', status='g.status'
    ) }}
    union all
    {{ latest_register_figures(
        'stg_fire_rescue__fire_apparatus',
        water_t='g.water_t', detail='g.apparatus_type', status='g.status'
    ) }}
    union all
    {{ latest_register_figures(
        'stg_fire_rescue__fire_stations',
        key='organisation_key', capacity='g.crew_on_duty', detail='g.station_type'
    ) }}
    union all
    -- A hospital's daily bed report: its open beds, the patients in them, and what is free. The
    -- latest is the newest day reported (a report sent late is an older day's); two reports of
    -- one day, by record.
    {{ latest_register_figures(
        'stg_health__hospital_beds',
        key='organisation_key', capacity='g.open_beds', served='g.occupied_beds',
        detail="'空床' || (g.open_beds - g.occupied_beds) || ', ICU空床' || g.icu_free_beds"
        ~ " || ', 急诊留观空床' || g.emergency_free_beds",
        latest='{day: g.report_date, record: g.source_record_id}'
    ) }}
    union all
    select * from depots
)

select
    figures.resource_key,
    f.capacity,
    f.served as people_served,
    f.area_m2,
    f.water_t,
    f.detail,
    figures.status
from figures
