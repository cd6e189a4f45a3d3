{#- Aggregates that give the same answer however the rows are ordered or split between threads.
    DuckDB's mode() and any_value() return whichever value a thread met first where values
    tie or differ, and floating-point sums differ in their last bits from run to run: two
    builds of the same data could name an entity or place a township differently. -#}

{#- The most frequent non-null value; of tied ones, the smallest. `where` limits the rows counted. -#}
{% macro most_common(column, where=none) -%}
    (list_sort(list_transform(
        map_entries(histogram({{ column }}){% if where %} filter (where {{ where }}){% endif %}),
        e -> {'n': -e.value, 'v': e.key}
    )))[1].v
{%- endmacro %}

{#- A mean coordinate to 1e-7 degrees (about a centimetre), the same whatever the summing order. -#}
{% macro mean_coordinate(column) -%}
    round(avg({{ column }}), 7)
{%- endmacro %}
