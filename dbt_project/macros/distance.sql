{#- Distances between WGS-84 points, and the pairs of points within a distance. -#}

{#- Pairs (event_key, place_key) of `left_rel` rows (event_key, longitude, latitude) and
    `right_rel` places (place_key, longitude, latitude) within `metres` (haversine), found by
    an equality join on cells of about `metres` and their eight neighbours, so the cost grows
    with the pairs found, not with the product of the two tables.
    Each pair comes once when event_key and place_key are unique in their relations: a place
    lies in one cell, and an event's nine cells are distinct. The box of one cell either way
    is tested before the haversine: a point outside it is farther than `metres` (up to 60°, as
    the cells assume), and it leaves 4 of the 9 cells' candidates to the trigonometry. -#}
{% macro pairs_within(left_rel, right_rel, metres) -%}
    {#- A degree of latitude is 111 km; one of longitude is cos(latitude) of that, at least half up to 60°. -#}
    {%- set lat_cell = metres / 111000.0 -%}
    {%- set lon_cell = metres / 55500.0 -%}
    select l.event_key, r.place_key
    from (
        select event_key, longitude, latitude,
               floor(longitude / {{ lon_cell }})::bigint + dx as cx, floor(latitude / {{ lat_cell }})::bigint + dy as cy
        from {{ left_rel }}, (select unnest([-1, 0, 1]) as dx), (select unnest([-1, 0, 1]) as dy)
        where longitude is not null
    ) as l
    join (
        select place_key, longitude, latitude,
               floor(longitude / {{ lon_cell }})::bigint as cx, floor(latitude / {{ lat_cell }})::bigint as cy
        from {{ right_rel }}
    ) as r using (cx, cy)
    where abs(r.latitude - l.latitude) <= {{ lat_cell }} and abs(r.longitude - l.longitude) <= {{ lon_cell }}
        and {{ haversine_m('l.longitude', 'l.latitude', 'r.longitude', 'r.latitude') }} <= {{ metres }}
{%- endmacro %}

{#- Great-circle distance in metres between two WGS-84 points. -#}
{% macro haversine_m(lon1, lat1, lon2, lat2) -%}
    2 * 6371008.8 * asin(sqrt(
        pow(sin(radians({{ lat2 }} - {{ lat1 }}) / 2), 2)
        + cos(radians({{ lat1 }})) * cos(radians({{ lat2 }})) * pow(sin(radians({{ lon2 }} - {{ lon1 }}) / 2), 2)
    ))
{%- endmacro %}
