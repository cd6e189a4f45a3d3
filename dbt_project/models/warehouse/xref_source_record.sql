-- Every source record and the entities it was resolved to, with the method (exact key or
-- probabilistic), the match probability and what the match rests on: the lineage that proves
-- the silos are joined, down to the delivered file and row.
with resolved as (
    select
        source_department, source_feed, source_record_id, 'organisation' as entity_kind, organisation_key as entity_key,
        role, slot, method, match_probability, matched_on
    from {{ ref('int_organisation_resolution') }}
    union all
    select
        source_department, source_feed, source_record_id, 'person' as entity_kind, person_key as entity_key,
        role, slot, method, match_probability, matched_on
    from {{ ref('int_person_resolution') }}
    union all
    select
        source_department, source_feed, source_record_id, 'place' as entity_kind, place_key as entity_key,
        role, 1 as slot, method, match_probability, matched_on
    from {{ ref('int_place_resolution') }}
    union all
    select
        source_department, source_feed, source_record_id, 'object' as entity_kind, object_key as entity_key,
        role, slot, method, match_probability, matched_on
    from {{ ref('int_object_resolution') }}
    union all
    select
        source_department, source_feed, source_record_id, 'event' as entity_kind, event_key as entity_key,
        reported_type as role, 1 as slot,
        -- A report of another department's incident was resolved into it (int_event_reports).
        case when is_event_record then 'exact' else 'resolved' end as method,
        cast(1.0 as double) as match_probability,
        case when is_event_record then 'record' else 'event type, time, place' end as matched_on
    from {{ ref('bridge_event_report') }}
)

select r.*, s.source_file, s.source_row
from resolved as r
left join {{ ref('int_source_records') }} as s using (source_record_id)
