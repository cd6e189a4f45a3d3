-- What each hazard installation holds: its latest declared quantity of every substance,
-- with the substance's GB 18218 critical quantity Q and correction factor β. Q and β come
-- from the standard's table, not from the feed; the declared Q is kept to show disagreement.
with declared as (
    select h.*, r.object_key
    from {{ ref('stg_emergency_management__hazard_sources') }} as h
    join {{ ref('int_object_resolution') }} as r
        on r.source_record_id = h.source_record_id and r.kind = 'hazard_installation'
),

latest as (
    select
        object_key, cas_no,
        arg_max(columns(* exclude (object_key, cas_no)), [epoch(record_date), epoch(delivery_date)])
    from declared
    group by object_key, cas_no
)

select
    l.object_key,
    l.hazard_source_code,
    l.installation_name,
    l.uscc,
    l.enterprise_name,
    l.cas_no,
    coalesce(s.substance_name, l.chemical_name) as substance_name,
    l.quantity_t,
    s.critical_quantity_t,
    l.critical_quantity_t as declared_critical_quantity_t,
    s.beta,
    s.beta_basis,
    l.exposed_people,
    l.record_date,
    l.source_record_id
from latest as l
left join {{ ref('stg_reference__gb18218_substances') }} as s on s.cas = l.cas_no
