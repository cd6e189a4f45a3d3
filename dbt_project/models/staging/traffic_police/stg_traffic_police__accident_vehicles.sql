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
    v.accident_id,
    v.slot,
    v.vehicle.plate_no,
    {{ normalise_plate('v.vehicle.plate_no') }} as plate_normalised,
    v.vehicle.vehicle_type,
    v.vehicle.driver_name,
    v.vehicle.driver_id_number_hash as driver_id_hash,
    {{ mask_identity('v.vehicle.driver_id_number') }} as driver_id_masked,
    v.vehicle.driver_id_number,
    v.vehicle.driver_phone,
    v.source_department, v.source_feed, v.source_record_id, v._source_file, v._source_row, v.delivery_date
from vehicles as v
