{#- Identity numbers never leave staging in clear: a keyed hash joins, a masked form shows. -#}

{% macro identity_hash(column) -%}
    case when {{ column }} is not null
         then sha256('{{ env_var("SAFECITY_IDENTITY_HASH_KEY", "safecity-development-key") }}' || {{ column }}) end
{%- endmacro %}

{% macro mask_identity(column) -%}
    case when length({{ column }}) = 18 then left({{ column }}, 6) || '********' || right({{ column }}, 4) end
{%- endmacro %}
