{#- The numbers of the national standards events and the marts are graded by (docs/architecture.md, "Standards the contracts enforce"). -#}

{#- National grading of accidents and disasters by casualties: 特别重大 I (30 deaths or 100
    seriously injured), 重大 II (10 or 50), 较大 III (3 or 10), 一般 IV. -#}
{% macro casualty_severity_grade(deaths, serious_injuries='0') -%}
    case
        when coalesce({{ deaths }}, 0) >= 30 or coalesce({{ serious_injuries }}, 0) >= 100 then 'I'
        when coalesce({{ deaths }}, 0) >= 10 or coalesce({{ serious_injuries }}, 0) >= 50 then 'II'
        when coalesce({{ deaths }}, 0) >= 3 or coalesce({{ serious_injuries }}, 0) >= 10 then 'III'
        else 'IV'
    end
{%- endmacro %}

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
