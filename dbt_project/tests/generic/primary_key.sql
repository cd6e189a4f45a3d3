{#- A key column: every row has one and no two rows share it, in one pass over the table (the
    `unique` and `not_null` tests together, at half the nodes and scans: each dbt node is a fixed
    cost of some 30 ms, docs/architecture.md). Named as dbt_constraints' test is. Each failing row
    is a key held by more than one row, or the missing key (null) with how many rows lack it. -#}
{% test primary_key(model, column_name) %}
select
    {{ column_name }} as key_value,
    count(*) as rows_with_this_key
from {{ model }}
group by {{ column_name }}
having {{ column_name }} is null or count(*) > 1
{% endtest %}
