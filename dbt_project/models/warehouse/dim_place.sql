-- One row per place. Keyed for now by an exact location (a delivered point to about a
-- metre, or an address within its county); the linkage stage will merge places that
-- are one, without changing these columns.
{% set deg = city_var('grid_cell_degrees') %}
{% set bounds = city_var('city_bounds') %}
with located as (select * from {{ ref('int_places_located') }}),

cells as (
    select
        *,
        floor((longitude - {{ bounds.lon_min }}) / {{ deg }}) as grid_column,
        floor((latitude - {{ bounds.lat_min }}) / {{ deg }}) as grid_row
    from located
)

select
    place_key,
    address as standard_address,
    county_code,
    township_code,
    township_code || '-' || lpad(cast(cast(grid_row as integer) as varchar), 3, '0')
    || lpad(cast(cast(grid_column as integer) as varchar), 3, '0') as grid_cell_id,
    {{ bounds.lon_min }} + grid_column * {{ deg }} as grid_lon_min,
    {{ bounds.lat_min }} + grid_row * {{ deg }} as grid_lat_min,
    longitude,
    latitude,
    location_source,
    township_source,
    mentions as source_mentions
from cells
