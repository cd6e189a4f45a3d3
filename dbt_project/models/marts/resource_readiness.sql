-- What is not ready: supply batches expired or expiring within resource_expiry_warning_days of
-- the newest delivery day, and resources whose status is not an available one (teams on a
-- mission or resting, water sources broken, appliances under repair). One row per finding.
with newest as (select max(delivery_date) as day from {{ ref('fct_event') }}),

stock as (
    select
        o.object_key,
        d.depot_name,
        d.item_code,
        arg_max(d.item_name, d.delivery_date) as item_name,
        arg_max(d.quantity, d.delivery_date) as quantity,
        arg_max(d.unit, d.delivery_date) as unit,
        arg_max(d.expiry_date, d.delivery_date) as expiry_date
    from {{ ref('stg_emergency_management__supply_depots') }} as d
    join {{ ref('int_object_resolution') }} as o
        on o.source_feed = d.source_feed and o.source_record_id = d.source_record_id
    group by o.object_key, d.depot_name, d.item_code
),

supplies as (
    select
        'supply_depot' as resource_kind,
        s.object_key as resource_key,
        s.depot_name as resource_name,
        case when s.expiry_date < newest.day then 'expired' else 'expiring' end as finding,
        s.item_code,
        s.item_name || ' ' || s.quantity || ' ' || coalesce(s.unit, '') || ', expiry ' || s.expiry_date as detail,
        s.expiry_date as due_date
    from stock as s
    cross join newest
    where s.expiry_date < newest.day + to_days({{ var('resource_expiry_warning_days') }})
),

unavailable as (
    select
        resource_kind,
        resource_key,
        name as resource_name,
        'unavailable' as finding,
        null::varchar as item_code,
        coalesce(detail || ': ', '') || status as detail,
        null::date as due_date
    from {{ ref('emergency_resources') }}
    where not available
)

select * from supplies
union all
select * from unavailable
