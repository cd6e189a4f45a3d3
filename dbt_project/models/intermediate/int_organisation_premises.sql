-- Each organisation's own place: of the places the mappings' premises relations give it
-- (bridge_organisation_place), the one most mentioned. Unlike dim_organisation.place_key, never
-- a place it was only seen at (an incident it responded to, a site it was involved at): the
-- place a resource stands at and an organisation is covered or exposed at.
select
    b.organisation_key,
    arg_min(b.place_key, (-b.source_mentions, b.place_key)) as place_key
from {{ ref('bridge_organisation_place') }} as b
group by b.organisation_key
