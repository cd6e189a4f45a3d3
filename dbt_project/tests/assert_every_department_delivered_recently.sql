-- Freshness: every department's latest event arrived within two days of the newest
-- delivery in the warehouse. A silent department is a gap in the shared picture.
{{ config(severity='warn') }}
with latest as (
    select source_department, max(delivery_date) as last_delivery
    from {{ ref('fct_event') }}
    group by source_department
)

select l.source_department, l.last_delivery
from latest as l
where
    l.last_delivery < (select max(newest.last_delivery) from latest as newest) - interval 2 day
    or (select count(distinct d.source_department) from latest as d) < 5
