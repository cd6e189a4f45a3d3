{#- The lineage every staged row carries back to its delivery: department, feed, the record's
    identity across the warehouse (`<feed>:<key>`), and its file, row and delivery day. -#}
{% macro lineage_columns(department, feed, key) -%}
    '{{ department }}' as source_department,
    '{{ feed }}' as source_feed,
    '{{ feed }}:' || {{ key }} as source_record_id,
    _source_file,
    _source_row,
    _delivery_date as delivery_date
{%- endmacro %}
