{#- Exact normalised identifiers: what "the same" means before probabilistic linkage. -#}

{#- An organisation's name without the noise silos add: spaces, brackets, the province or
    city prefix (var city_name_prefixes), and the legal form at the end (有限责任公司, 有限公司, 股份有限公司, 公司 are
    spellings of one name). Branch names stay: two branches are two organisations. -#}
{% macro normalise_org_name(column) -%}
    regexp_replace(
        regexp_replace(
            regexp_replace(
                regexp_replace({{ column }}, '\s|\(|\)|（|）', '', 'g'),
            '^({{ var("city_name_prefixes") | join("|") }})', ''),
        '有限责任公司|股份有限公司|有限公司', '公司', 'g'),
    '公司$', '')
{%- endmacro %}

{#- A plate as one string: upper case, no separators (川A·12345, 川a 12345 -> 川A12345). -#}
{% macro normalise_plate(column) -%}
    upper(regexp_replace({{ column }}, '[\s·\.\-]', '', 'g'))
{%- endmacro %}

{#- Identity numbers never leave staging in clear: a keyed hash joins, a masked form shows. -#}
{% macro identity_hash(column) -%}
    case when {{ column }} is not null
         then sha256('{{ env_var("SAFECITY_IDENTITY_HASH_KEY", "safecity-development-key") }}' || {{ column }}) end
{%- endmacro %}

{#- The form of dim_person.id_number_masked (the warehouse contract): first 6 and last 4
    characters; anything but 18 characters is null. Python's is standards/identifiers.py. -#}
{% macro mask_identity(column) -%}
    case when length({{ column }}) = 18 then left({{ column }}, 6) || '********' || right({{ column }}, 4) end
{%- endmacro %}

{#- National grading of accidents and disasters by casualties (特别重大 I ... 一般 IV). -#}
{% macro severity_grade(deaths, serious_injuries='0') -%}
    case
        when coalesce({{ deaths }}, 0) >= 30 or coalesce({{ serious_injuries }}, 0) >= 100 then 'I'
        when coalesce({{ deaths }}, 0) >= 10 or coalesce({{ serious_injuries }}, 0) >= 50 then 'II'
        when coalesce({{ deaths }}, 0) >= 3 or coalesce({{ serious_injuries }}, 0) >= 10 then 'III'
        else 'IV'
    end
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

{#- The lineage every staged row carries back to its delivery. -#}
{% macro source_columns(department, feed, key) -%}
    '{{ department }}' as source_department,
    '{{ feed }}' as source_feed,
    '{{ feed }}:' || {{ key }} as source_record_id,
    _source_file,
    _source_row,
    _delivery_date as delivery_date
{%- endmacro %}
