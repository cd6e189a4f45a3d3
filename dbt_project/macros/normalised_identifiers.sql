{#- Exact normalised identifiers: what "the same" means before probabilistic linkage. Two
    mentions with one normalised name, plate or location are one candidate for linkage. -#}

{#- An organisation's name without the noise silos add: spaces, brackets, the province or
    city prefix (var city_name_prefixes), and the legal form at the end (有限责任公司, 有限公司, 股份有限公司, 公司 are
    spellings of one name). Branch names stay: two branches are two organisations. -#}
{% macro normalise_org_name(column) -%}
    regexp_replace(
        regexp_replace(
            regexp_replace(
                regexp_replace({{ column }}, '\s|\(|\)|（|）', '', 'g'),
            '^({{ city_var("city_name_prefixes") | join("|") }})', ''),
        '有限责任公司|股份有限公司|有限公司', '公司', 'g'),
    '公司$', '')
{%- endmacro %}

{#- A plate as one string: upper case, no separators (川A·12345, 川a 12345 -> 川A12345). -#}
{% macro normalise_plate(column) -%}
    upper(regexp_replace({{ column }}, '[\s·\.\-]', '', 'g'))
{%- endmacro %}

{#- A location as delivered: its point (to about a metre) when there is one, else its address within
    its county. Place linkage joins the locations that are one place. -#}
{% macro location_key(longitude, latitude, address, county_code) -%}
    case
        when {{ longitude }} is not null and {{ latitude }} is not null
            then 'G:' || cast(round({{ longitude }}, 5) as varchar) || ',' || cast(round({{ latitude }}, 5) as varchar)
        when {{ address }} is not null
            then 'A:' || md5(coalesce({{ county_code }}, '') || '|' || regexp_replace({{ address }}, '\s', '', 'g'))
    end
{%- endmacro %}
