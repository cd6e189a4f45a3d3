-- Freshness: every department whose feeds give events (int_mapped_feeds) has events, and its
-- latest arrived within two days of the newest delivery in the warehouse. A silent department is
-- a gap in the shared picture.
{{ config(severity='warn') }}
with expected as (
    select distinct source_department from {{ ref('int_mapped_feeds') }}
    where gives_events
),

latest as (
    select source_department, max(delivery_date) as last_delivery
    from {{ ref('fct_event') }}
    group by source_department
)

select x.source_department, l.last_delivery
from expected as x
left join latest as l using (source_department)
where
    l.last_delivery is null
    or l.last_delivery < (select max(newest.last_delivery) from latest as newest) - interval 2 day
