-- The administrative hierarchy (province > city > county > township) from the reference
-- data, and below the city's townships the grid cells of grid-based management: squares
-- of `grid_cell_degrees` (about 1 km) within a township, where the city has places.
with divisions as (
    select
        code as division_code, 'province' as level, name, cast(null as varchar) as parent_code,
        code as province_code, cast(null as varchar) as city_code, cast(null as varchar) as county_code,
        cast(null as varchar) as township_code
    from {{ ref('stg_reference__provinces') }}
    union all
    select
        code as division_code, 'city' as level, name, province_code as parent_code,
        province_code, code as city_code, null as county_code, null as township_code
    from {{ ref('stg_reference__cities') }}
    union all
    select
        code as division_code, 'county' as level, name, city_code as parent_code,
        province_code, city_code, code as county_code, null as township_code
    from {{ ref('stg_reference__counties') }}
    union all
    select
        code as division_code, 'township' as level, name, county_code as parent_code,
        province_code, city_code, county_code, code as township_code
    from {{ ref('stg_reference__townships') }}
),

grid as (
    select
        grid_cell_id as division_code, 'grid' as level, grid_cell_id as name, township_code as parent_code,
        left(township_code, 2) as province_code, left(township_code, 4) as city_code,
        left(township_code, 6) as county_code, township_code,
        min(grid_lon_min) as grid_lon_min, min(grid_lat_min) as grid_lat_min
    from {{ ref('dim_place') }}
    group by all
)

select
    division_code, level, name, parent_code, province_code, city_code, county_code, township_code,
    coalesce(city_code = '{{ city_var("city_code") }}', false) as in_city,
    cast(null as double) as grid_lon_min, cast(null as double) as grid_lat_min,
    cast(null as double) as grid_lon_max, cast(null as double) as grid_lat_max
from divisions
union all
select
    division_code, level, name, parent_code, province_code, city_code, county_code, township_code, true as in_city,
    grid_lon_min, grid_lat_min,
    grid_lon_min + {{ city_var('grid_cell_degrees') }} as grid_lon_max,
    grid_lat_min + {{ city_var('grid_cell_degrees') }} as grid_lat_max
from grid
