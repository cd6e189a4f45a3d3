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
    select l.event_key, r.place_key
    from (
        select event_key, longitude, latitude,
               {{ cell_x('longitude', metres) }} + dx as cx, {{ cell_y('latitude', metres) }} + dy as cy
        from {{ left_rel }}, (select unnest([-1, 0, 1]) as dx), (select unnest([-1, 0, 1]) as dy)
        where longitude is not null
    ) as l
    join (
        select place_key, longitude, latitude,
               {{ cell_x('longitude', metres) }} as cx, {{ cell_y('latitude', metres) }} as cy
        from {{ right_rel }}
    ) as r using (cx, cy)
    where abs(r.latitude - l.latitude) <= {{ lat_degrees(metres) }} and abs(r.longitude - l.longitude) <= {{ lon_degrees(metres) }}
        and {{ haversine_m('l.longitude', 'l.latitude', 'r.longitude', 'r.latitude') }} <= {{ metres }}
{%- endmacro %}

{#- Grid cells about `metres` across, for finding the points within `metres` of a point by an
    equality join on its cell and the eight around it (every such point lies in them), then a
    box (`lat_degrees`, `lon_degrees` either way) and the haversine. A join on the box or the
    distance alone runs as a nested loop over both tables. A degree of latitude is 111 km; one
    of longitude is cos(latitude) of that, at least half up to 60°, so the cells and boxes hold
    every point within `metres` up to 60° of latitude. `metres` may be a column. -#}
{% macro lat_degrees(metres) -%} ({{ metres }} / 111000.0) {%- endmacro %}

{% macro lon_degrees(metres) -%} ({{ metres }} / 55500.0) {%- endmacro %}

{% macro cell_y(latitude, metres) -%} floor({{ latitude }} / {{ lat_degrees(metres) }})::bigint {%- endmacro %}

{% macro cell_x(longitude, metres) -%} floor({{ longitude }} / {{ lon_degrees(metres) }})::bigint {%- endmacro %}

{#- Great-circle distance in metres between two WGS-84 points. -#}
{% macro haversine_m(lon1, lat1, lon2, lat2) -%}
    2 * 6371008.8 * asin(sqrt(
        pow(sin(radians({{ lat2 }} - {{ lat1 }}) / 2), 2)
        + cos(radians({{ lat1 }})) * cos(radians({{ lat2 }})) * pow(sin(radians({{ lon2 }} - {{ lon1 }}) / 2), 2)
    ))
{%- endmacro %}
