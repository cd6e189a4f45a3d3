-- Every mention of a person: legal representatives, drivers, victims. Full identity
-- numbers stay in this layer only as a keyed hash and a masked form; birth date and
-- sex are derived from a full number (GB 11643 positions 7-14 and 17).
with mentions as (
    select
        source_department, source_feed, source_record_id, 'legal_representative' as role,
        legal_rep_name as name, legal_rep_id_hash as id_hash, legal_rep_id_masked as id_masked,
        legal_rep_id_number as id_number, cast(null as varchar) as phone
    from {{ ref('stg_emergency_management__enterprises') }}
    where legal_rep_name is not null or legal_rep_id_number is not null
    union all by name
    -- Market regulation masks identity numbers at the source: evidence, never a key on its own.
    select
        source_department, source_feed, source_record_id, 'legal_representative' as role,
        legal_rep_name as name, legal_rep_id_masked as id_masked
    from {{ ref('stg_market_regulation__food_business_licences') }}
    where legal_rep_name is not null
    union all by name
    select
        source_department, source_feed, source_record_id, 'driver' as role, slot,
        driver_name as name, driver_id_hash as id_hash, driver_id_masked as id_masked,
        driver_id_number as id_number, driver_phone as phone
    from {{ ref('stg_traffic_police__accident_vehicles') }}
    where driver_name is not null or driver_id_number is not null
    union all by name
    select
        source_department, source_feed, source_record_id, 'victim' as role,
        victim_name as name, victim_id_hash as id_hash, victim_id_masked as id_masked,
        victim_id_number as id_number
    from {{ ref('stg_emergency_management__work_accidents') }}
    where victim_name is not null or victim_id_number is not null
)

select
    source_department,
    source_feed,
    source_record_id,
    role,
    coalesce(slot, 1) as slot,
    name,
    id_hash,
    id_masked,
    phone,
    case when id_number is not null then cast(strptime(substr(id_number, 7, 8), '%Y%m%d') as date) end as birth_date,
    case
        when id_number is not null
            then case when cast(substr(id_number, 17, 1) as integer) % 2 = 1 then 'M' else 'F' end
    end as sex
from mentions
