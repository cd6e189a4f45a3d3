{#-
    A data test's `where` may compare a column with `__first_day_built__`: the first delivery
    day this build rebuilds (SAFECITY_REPROCESS_SINCE, set by the warehouse step; every day
    when it is unset), so that a daily build tests the days it rebuilds. The day is put in when
    the test runs, not written in the YAML as `env_var(...)`: dbt renders a test's config when
    it parses the project, and parses again every file whose environment variable changed,
    which a daily build's day always does (63 files, some 1.5 s of every daily run).
    Overrides dbt's own get_where_subquery (global_project/macros/materializations/tests).
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if not where -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- if execute and '__first_day_built__' in where -%}
        {%- set day = env_var('SAFECITY_REPROCESS_SINCE', '') or '0001-01-01' -%}
        {%- set where = where | replace('__first_day_built__', "date '" ~ day ~ "'") -%}
    {%- endif -%}
    {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
{%- endmacro %}
