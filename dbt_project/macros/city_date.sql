{#- The day of the city's calendar a timestamp with time zone falls on. A bare `::date` takes the
    session's zone (UTC on most servers), which puts an evening in the city on the wrong day. -#}
{% macro city_date(timestamp) -%}
    timezone('{{ city_var("city_timezone") }}', {{ timestamp }})::date
{%- endmacro %}
