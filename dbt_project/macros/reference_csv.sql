{#- A reference table shipped with the code (pipelines/reference/), read as text: codes are identifiers. -#}
{% macro reference_csv(relative_path) -%}
    read_csv('{{ env_var("SAFECITY_REFERENCE_DIR", "../pipelines/reference") }}/{{ relative_path }}', all_varchar = true, header = true)
{%- endmacro %}
