-- Every record that is an event, placed: where the feed located it, else at its organisation's premises,
-- else at its county's centre (location_source of the place says which).
with events as (select * from {{ ref('int_events') }}),

organisations as (
    -- A record naming several organisations: the first by key, all three facts of the same one.
    select source_record_id, organisation.place_key, organisation.county_code, organisation.uscc
    from (
        select
            r.source_record_id,
            arg_min({ 'place_key': o.place_key, 'county_code': o.county_code, 'uscc': o.uscc }, o.organisation_key)
                as organisation
        from {{ ref('int_organisation_resolution') }} as r
        join {{ ref('dim_organisation') }} as o using (organisation_key)
        where r.role not in {{ organisation_roles_that('responder') }}
        group by r.source_record_id
    )
),

placed as (
    select
        e.*,
        coalesce(
            own.place_key,
            o.place_key,
            -- The county the event names, else the one its organisation names, else the
            -- registration county a credit code carries (its characters 3 to 8).
            'C:' || coalesce(e.county_code, o.county_code, substr(o.uscc, 3, 6))
        ) as place_key
    from events as e
    left join {{ source('linkage', 'place_clusters') }} as located on located.location_key = e.own_location_key
    left join {{ ref('dim_place') }} as own on own.place_key = located.place_key
    left join organisations as o using (source_record_id)
)

select
    p.event_key,
    p.event_type,
    p.category,
    p.severity,
    p.occurred_at,
    p.delivery_date,
    p.place_key,
    pl.county_code,
    pl.township_code,
    pl.grid_cell_id,
    p.deaths,
    p.injuries,
    p.description,
    p.due_date,
    p.resolved_date,
    coalesce(p.major, false) as major_hazard,
    p.source_department,
    p.source_feed,
    p.source_record_id
from placed as p
left join {{ ref('dim_place') }} as pl using (place_key)
