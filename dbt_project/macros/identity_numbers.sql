{#- Identity numbers never leave staging in clear: a keyed hash joins (computed at ingestion,
    pipelines/lib/ingest/identity_hash.py, so its key is never in SQL), a masked form shows. -#}

{#- The form of dim_person.id_number_masked (the warehouse contract): first 6 and last 4
    characters; anything but 18 characters is null. Python's is standards/identifiers.py. -#}
{% macro mask_identity(column) -%}
    case when length({{ column }}) = 18 then left({{ column }}, 6) || '********' || right({{ column }}, 4) end
{%- endmacro %}
