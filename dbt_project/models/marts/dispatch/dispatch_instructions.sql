-- One row per instruction of the command centre's log: what it answers, who it goes to, its
-- deadlines, and what the shared picture resolved its subject to (the organisation and the
-- place of linkage). `as_of` is the end of the newest delivery day: what is still open is
-- judged against it, never against the clock.
with instructions as (select * from {{ ref('stg_command_centre__instructions') }}),

resolved as (
    select
        source_record_id,
        max(case when entity_kind = 'organisation' then entity_key end) as organisation_key,
        max(case when entity_kind = 'place' then entity_key end) as place_key
    from {{ ref('xref_source_record') }}
    where source_department = 'command_centre' and source_feed = 'instructions'
    group by source_record_id
),

window_end as (
    select timezone('{{ city_var("city_timezone") }}', (max(delivery_date) + 1)::timestamp) as as_of
    from instructions
)

select
    i.instruction_id,
    i.source_kind,
    i.source_type,
    i.source_ref,
    i.level,
    i.lead_department,
    i.supporting_departments,
    i.issued_at,
    i.sign_by,
    i.arrive_by,
    i.close_by,
    i.unit_name,
    i.unit_uscc,
    i.address,
    i.county_code,
    r.organisation_key,
    r.place_key,
    -- The site a problem recurs at: the organisation when there is one, else the place.
    coalesce(r.organisation_key, r.place_key) as site_key,
    i.instruction_text,
    i.delivery_date,
    w.as_of
from instructions as i
cross join window_end as w
left join resolved as r using (source_record_id)
