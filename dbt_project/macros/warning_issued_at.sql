{#- When a warning raised on `day` (or the Cancel of one that ended the day before) is issued:
    once the day's deliveries are in, the midnight after it in the city's time zone. A day still
    open (sensors deliver every five minutes, so the newest day is today) is issued when the
    warehouse computes it: its CAP message is in force now, not from the coming midnight. Closed
    days keep their fixed time, so a rebuild of the same data gives the same messages. -#}
{% macro warning_issued_at(day) -%}
    least(
        timezone('{{ city_var("city_timezone") }}', ({{ day }} + 1)::timestamp),
        date_trunc('second', current_timestamp)
    )
{%- endmacro %}
