-- Generated from the contracts by `safecity contract generate`: edit those, not this.
-- Every mention of a person: identity numbers only as a keyed hash and a masked form.
{{ config(materialized='incremental', incremental_strategy='replace_days', unique_key='source_record_id') }}
{%- set days_built = delivery_days_to_build() %}
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('legal_representative' as varchar) as role,
    cast(1 as bigint) as slot,
    cast(legal_rep_name as varchar) as name,
    cast(legal_rep_id_number_hash as varchar) as id_hash,
    cast({{ mask_identity("legal_rep_id_number") }} as varchar) as id_masked,
    cast(null as varchar) as phone,
    cast(case when legal_rep_id_number is not null then cast(strptime(substr(legal_rep_id_number, 7, 8), '%Y%m%d') as date) end as date) as birth_date,
    cast(case when legal_rep_id_number is not null then case when cast(substr(legal_rep_id_number, 17, 1) as integer) % 2 = 1 then 'M' else 'F' end end as varchar) as sex
from {{ ref('stg_emergency_management__enterprises') }}
where (legal_rep_name is not null or legal_rep_id_number is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('expert' as varchar) as role,
    cast(1 as bigint) as slot,
    name,
    cast(id_no_hash as varchar) as id_hash,
    cast({{ mask_identity("id_no") }} as varchar) as id_masked,
    cast(mobile as varchar) as phone,
    cast(case when id_no is not null then cast(strptime(substr(id_no, 7, 8), '%Y%m%d') as date) end as date) as birth_date,
    cast(case when id_no is not null then case when cast(substr(id_no, 17, 1) as integer) % 2 = 1 then 'M' else 'F' end end as varchar) as sex
from {{ ref('stg_emergency_management__experts') }}
where (name is not null or id_no is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('victim' as varchar) as role,
    cast(1 as bigint) as slot,
    cast(victim_name as varchar) as name,
    cast(victim_id_number_hash as varchar) as id_hash,
    cast({{ mask_identity("victim_id_number") }} as varchar) as id_masked,
    cast(null as varchar) as phone,
    cast(case when victim_id_number is not null then cast(strptime(substr(victim_id_number, 7, 8), '%Y%m%d') as date) end as date) as birth_date,
    cast(case when victim_id_number is not null then case when cast(substr(victim_id_number, 17, 1) as integer) % 2 = 1 then 'M' else 'F' end end as varchar) as sex
from {{ ref('stg_emergency_management__work_accidents') }}
where (victim_name is not null or victim_id_number is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('legal_representative' as varchar) as role,
    cast(1 as bigint) as slot,
    cast(legal_rep_name as varchar) as name,
    cast(null as varchar) as id_hash,
    cast(legal_rep_id_masked as varchar) as id_masked,
    cast(null as varchar) as phone,
    cast(null as date) as birth_date,
    cast(null as varchar) as sex
from {{ ref('stg_market_regulation__food_business_licences') }}
where (legal_rep_name is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('monitor' as varchar) as role,
    cast(1 as bigint) as slot,
    cast(monitor_name as varchar) as name,
    cast(null as varchar) as id_hash,
    cast(null as varchar) as id_masked,
    cast(monitor_phone as varchar) as phone,
    cast(null as date) as birth_date,
    cast(null as varchar) as sex
from {{ ref('stg_natural_resources__geohazard_points') }}
where (monitor_name is not null) and {{ days_built }}
union all
select
    source_department,
    source_feed,
    source_record_id,
    delivery_date,
    cast('driver' as varchar) as role,
    cast(_slot as bigint) as slot,
    cast(_item.driver_name as varchar) as name,
    cast(_item.driver_id_number_hash as varchar) as id_hash,
    cast({{ mask_identity("_item.driver_id_number") }} as varchar) as id_masked,
    cast(_item.driver_phone as varchar) as phone,
    cast(case when _item.driver_id_number is not null then cast(strptime(substr(_item.driver_id_number, 7, 8), '%Y%m%d') as date) end as date) as birth_date,
    cast(case when _item.driver_id_number is not null then case when cast(substr(_item.driver_id_number, 17, 1) as integer) % 2 = 1 then 'M' else 'F' end end as varchar) as sex
from (select *, unnest(vehicles) as _item, unnest(range(1, len(vehicles) + 1)) as _slot from {{ ref('stg_traffic_police__traffic_accidents') }})
where (_item.driver_name is not null or _item.driver_id_number is not null) and {{ days_built }}
