{#- One setting of the city profile, which every run passes as --vars (dbt_project.yml, "vars").
    While dbt parses the project (Dagster's manifest, the docs site) nothing is executed and a
    missing var is an empty value; a model that runs without it stops with what to do. -#}
{% macro city_var(name) %}
    {%- set value = var(name, none) -%}
    {%- if value is none -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error(
                "dbt var '" ~ name ~ "' is not set: the city profile comes with every `safecity run`; "
                ~ "to run dbt by hand, add --vars \"$(safecity city --dbt-vars)\"") }}
        {%- endif -%}
        {{ return({}) }}
    {%- endif -%}
    {{ return(value) }}
{% endmacro %}
