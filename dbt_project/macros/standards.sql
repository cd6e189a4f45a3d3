{#- The numbers of the national standards the marts grade by (DESIGN, "Standards"). -#}

{#- HJ 633-2012 AQI level 1-6 (0-50, 51-100, 101-150, 151-200, 201-300, above 300). -#}
{% macro aqi_level(aqi) -%}
    case
        when {{ aqi }} <= 50 then 1
        when {{ aqi }} <= 100 then 2
        when {{ aqi }} <= 150 then 3
        when {{ aqi }} <= 200 then 4
        when {{ aqi }} <= 300 then 5
        else 6
    end
{%- endmacro %}

{#- GB 18218-2018 Table 5: correction factor α by the people exposed within 500 m. -#}
{% macro gb18218_alpha(exposed_people) -%}
    case
        when {{ exposed_people }} >= 100 then 2.0
        when {{ exposed_people }} >= 50 then 1.5
        when {{ exposed_people }} >= 30 then 1.2
        when {{ exposed_people }} >= 1 then 1.0
        else 0.5
    end::double
{%- endmacro %}

{#- GB 18218-2018 Table 6: grade 1 R >= 100, 2 50 <= R < 100, 3 10 <= R < 50, 4 R < 10. -#}
{% macro gb18218_grade(r) -%}
    case
        when {{ r }} >= 100 then 1
        when {{ r }} >= 50 then 2
        when {{ r }} >= 10 then 3
        else 4
    end
{%- endmacro %}

{#- Pairs (event_key, place_key) of `left_rel` rows (event_key, longitude, latitude) and
    `right_rel` places (place_key, longitude, latitude) within `metres` (haversine), found by
    an equality join on cells of about `metres` and their eight neighbours, so the cost grows
    with the pairs found, not with the product of the two tables. -#}
{% macro pairs_within(left_rel, right_rel, metres) -%}
    {#- A degree of latitude is 111 km; one of longitude is cos(latitude) of that, at least half up to 60°. -#}
    {%- set lat_cell = metres / 111000.0 -%}
    {%- set lon_cell = metres / 55500.0 -%}
    select distinct l.event_key, r.place_key
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
    where {{ haversine_m('l.longitude', 'l.latitude', 'r.longitude', 'r.latitude') }} <= {{ metres }}
{%- endmacro %}

{#- Great-circle distance in metres between two WGS-84 points. -#}
{% macro haversine_m(lon1, lat1, lon2, lat2) -%}
    2 * 6371008.8 * asin(sqrt(
        pow(sin(radians({{ lat2 }} - {{ lat1 }}) / 2), 2)
        + cos(radians({{ lat1 }})) * cos(radians({{ lat2 }})) * pow(sin(radians({{ lon2 }} - {{ lon1 }}) / 2), 2)
    ))
{%- endmacro %}
