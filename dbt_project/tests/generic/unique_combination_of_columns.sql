{#- The grain of a table keyed by several columns: no two rows share the values of all of
    `combination_of_columns`. Named and called as dbt_utils' test is, written here because no hub
    package installs offline (docs/architecture.md, No network at run time). Each failing row is a key and how many rows share it. -#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    {%- set columns = combination_of_columns | join(', ') %}
select
    {{ columns }},
    count(*) as rows_with_this_key
from {{ model }}
group by {{ columns }}
having count(*) > 1
{% endtest %}
