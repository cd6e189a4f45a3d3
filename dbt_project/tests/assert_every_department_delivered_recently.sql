-- Freshness: every department's latest event arrived within two days of the newest
-- delivery in the warehouse. A silent department is a gap in the shared picture.
{{ config(severity='warn') }}
with latest as (
    select source_department, max(delivery_date) as last_delivery
    from {{ ref('fct_event') }}
    group by source_department
)

select source_department, last_delivery
from latest
where
    last_delivery < (select max(last_delivery) from latest) - interval 2 day
    or (select count(*) from latest) < 5
