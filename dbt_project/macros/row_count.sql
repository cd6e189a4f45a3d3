{#
  A post-hook on every model and seed (dbt_project.yml): logs the rows of what was just built,
  `safecity row_count <n>`. Dagster puts it on the model's materialisation as dagster/row_count
  (pipelines/defs/warehouse/assets.py): counted inside dbt's own connection, because DuckDB
  lets no other process open the warehouse while dbt writes it.
#}
{% macro log_row_count() %}
  {%- if execute and model.config.materialized != 'ephemeral' -%}
    {%- set rows = run_query('select count(*) from ' ~ this).columns[0].values()[0] -%}
    {%- do log('safecity row_count ' ~ (rows | int), info=true) -%}
  {%- endif -%}
{% endmacro %}
