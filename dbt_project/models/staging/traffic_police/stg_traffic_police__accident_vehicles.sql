-- One row per vehicle (and its driver) in an accident: the nested list, unnested.
with vehicles as (
    -- The vehicle's position in the delivered list tells apart the vehicles of one accident.
    select
        accident_id,
        unnest(vehicles) as vehicle,
        unnest(range(1, len(vehicles) + 1)) as slot,
        {{ lineage_columns('traffic_police', 'traffic_accidents', 'accident_id') }}
    from {{ source('traffic_police', 'traffic_accidents') }}
)

select
    accident_id,
    slot,
    vehicle.plate_no,
    {{ normalise_plate('vehicle.plate_no') }} as plate_normalised,
    vehicle.vehicle_type,
    vehicle.driver_name,
    {{ identity_hash('vehicle.driver_id_number') }} as driver_id_hash,
    {{ mask_identity('vehicle.driver_id_number') }} as driver_id_masked,
    vehicle.driver_id_number,
    vehicle.driver_phone,
    source_department, source_feed, source_record_id, _source_file, _source_row, delivery_date
from vehicles
