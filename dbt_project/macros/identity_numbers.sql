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
