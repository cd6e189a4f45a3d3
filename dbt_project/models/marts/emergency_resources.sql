-- Every emergency resource the warehouse knows, one row each, placed: the objects and
-- organisations that resource_settings names (by object kind or organisation type), with
-- their register's figures. A resource stands at its own place, else at its owner's premises
-- (an appliance at its home station). Available: its status is one of the kind's
-- available_statuses, or the kind has none (a shelter, a station).
with settings as (select * from {{ ref('resource_settings') }}),

objects as (
    select
        s.resource_kind, 'object' as entity, o.object_key as resource_key, o.code, o.name,
        o.owner_organisation_key, coalesce(o.place_key, owner.place_key) as place_key
    from {{ ref('dim_object') }} as o
    join settings as s on s.entity = 'object' and s.match_value = o.kind
    left join {{ ref('int_organisation_premises') }} as owner on owner.organisation_key = o.owner_organisation_key
),

organisations as (
    select
        s.resource_kind, 'organisation' as entity, g.organisation_key as resource_key, g.uscc as code, g.name,
        null::varchar as owner_organisation_key, pr.place_key
    from {{ ref('dim_organisation') }} as g
    join settings as s on s.entity = 'organisation' and s.match_value = g.organisation_type
    -- placed at its premises: an organisation only named (a station a record says was sent)
    -- has none, and is no resource of its own
    join {{ ref('int_organisation_premises') }} as pr on pr.organisation_key = g.organisation_key
),

resources as (
    select * from objects
    union all
    select * from organisations
)

select
    r.resource_kind,
    r.entity,
    r.resource_key,
    r.code,
    r.name,
    r.owner_organisation_key,
    r.place_key,
    p.longitude,
    p.latitude,
    p.county_code,
    p.township_code,
    f.capacity,
    f.people_served,
    f.area_m2,
    f.water_t,
    f.detail,
    f.status,
    coalesce(s.available_statuses is null or list_contains(string_split(s.available_statuses, '|'), f.status), false)
        as available
from resources as r
join settings as s using (resource_kind)
left join {{ ref('dim_place') }} as p on p.place_key = r.place_key
left join {{ ref('int_resource_figures') }} as f on f.resource_key = r.resource_key
