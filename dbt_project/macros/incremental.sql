{#-
    Daily increments. A model built incrementally (delete+insert on delivery_date) rebuilds
    only the delivery days that landed or changed since its last build: the days after its own
    latest, and the days from the environment's SAFECITY_REPROCESS_SINCE, which the pipeline
    sets to the earliest bronze partition written since the last successful build of the step
    started (pipelines/lib/warehouse_builds.py: a day delivered again, or written while that
    build ran). A first build, or `--full-refresh`, takes every day.
    An environment variable, not a dbt var: dbt parses the whole project again when its vars
    change, and re-parses only the files that read a variable when the variable changes.
-#}
{% macro delivery_days_to_build(lookback_days=0) -%}
    {%- if is_incremental() -%}
        delivery_date >= (
            {%- if env_var('SAFECITY_REPROCESS_SINCE', '') %}
            least(cast('{{ env_var('SAFECITY_REPROCESS_SINCE') }}' as date), {{ _day_after_latest() }})
            {%- else %}
            {{ _day_after_latest() }}
            {%- endif %}
        ) - interval {{ lookback_days }} day
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{#- The day after the model's latest delivery day, as a literal read when the model runs: a
    constant lets DuckDB skip the bronze files' and the table's row groups of earlier days,
    where a subquery's result is compared only after every day has been read. -#}
{% macro _day_after_latest() -%}
    {%- set day = none -%}
    {%- if execute -%}
        {%- set day = run_query('select max(delivery_date) + 1 from ' ~ this).columns[0].values()[0] -%}
    {%- endif -%}
    date '{{ day if day is not none else "0001-01-01" }}'
{%- endmacro %}

{#-
    The `replace_series_from` incremental strategy: the model's rows are series (its
    unique_key columns: a device's measure), ordered by its `replace_from` column, and a build
    recomputes each series that changed from some point on. The batch holds the recomputed rows
    and, per series, one marker row (is_replace_marker) whose `replace_from` value says from
    where the series is replaced: every row built before from there is deleted, also one that
    no longer exists, and the recomputed rows are inserted. The marker column is in the batch
    only, not in the table. Without `replace_from`, a marked series is replaced whole (an
    event's links).
-#}
{% macro get_incremental_replace_series_from_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set batch = arg_dict['temp_relation'] -%}
    {%- set series = arg_dict['unique_key'] -%}
    {%- set order_column = config.get('replace_from') -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    using {{ batch }} as marker
    where
        marker.is_replace_marker
        {%- for key in series %}
        and {{ target }}.{{ key }} = marker.{{ key }}
        {%- endfor %}
        {%- if order_column %}
        and {{ target }}.{{ order_column }} >= marker.{{ order_column }}
        {%- endif %};

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ batch }} where not is_replace_marker
{%- endmacro %}

{#-
    The `replace_days` incremental strategy, for a union of records built by delivery day in
    which some rows stand for an entity as its latest reading has it (a collapsed feed's
    `__latest` row, whose delivery day moves to the day of that reading): the rows of the days
    built are deleted, and the earlier row of every record the batch holds (unique_key: the
    record), then the batch is inserted. A day delivered again so loses the rows it no longer
    has, and an entity that reported again keeps one row.
-#}
{% macro get_incremental_replace_days_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set batch = arg_dict['temp_relation'] -%}
    {%- set key = arg_dict['unique_key'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }}
    where {{ delivery_days_to_build() }} or {{ key }} in (select b.{{ key }} from {{ batch }} as b);

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ batch }}
{%- endmacro %}

{#- Where a model keeps what its rows were last built from (int_subject_events): a table beside
    it, replaced in the model's own transaction by a post-hook, so that it never describes
    another build than the rows. -#}
{% macro built_from(relation) -%}
    {%- do return(relation.incorporate(path={"identifier": relation.identifier ~ "__built_from"})) -%}
{%- endmacro %}

{#-
    An incremental model whose SQL changed since its table was built is built again in full,
    as `--full-refresh` would: a day built before keeps what the SQL computed then, so a
    changed mapping (a generated model), an edited model or a new release would otherwise
    apply to new days only. The code's MD5 is the table's comment, written after each build
    (`record_model_code`, a post-hook of every model); a table without one (built before the
    comment existed) is built again once. The code is the model's own source (before Jinja),
    that of the models it selects from (a staging view a contract generates, a `__latest`
    model), and that of the project's macros it calls and those they call (a key's
    normalisation: `normalise_org_name`, `location_key`), not the post-hooks, which compute no
    row. Seeds and vars are not in it: those that matter are compared with the rows
    (sensor_measures in int_sensor_reading_flags, the near distance in
    int_subject_event_inputs) or need `--full-refresh` (README, Daily runs).
-#}
{% macro should_full_refresh() -%}
    {%- set configured = config.get('full_refresh') -%}
    {%- if configured is none -%}
        {%- set configured = flags.FULL_REFRESH -%}
    {%- endif -%}
    {%- do return(configured or model_code_changed()) -%}
{%- endmacro %}

{% macro model_code_changed() -%}
    {%- if not execute or model.config.materialized != 'incremental' -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- set built = run_query(
        "select comment from duckdb_tables() where database_name = '" ~ this.database
        ~ "' and schema_name = '" ~ this.schema ~ "' and table_name = '" ~ this.identifier ~ "'"
    ) -%}
    {%- if built.rows | length == 0 -%}
        {%- do return(false) -%}  {#- not built yet: a first build is a full one anyway -#}
    {%- endif -%}
    {%- do return(built.columns[0].values()[0] != model_code_comment()) -%}
{%- endmacro %}

{% macro model_code_comment() -%}
    {#- as parsed (graph): a node's own `depends_on` is what this build's compilation used -#}
    {%- set parsed = graph.nodes[model.unique_id] -%}
    {%- set code = [model.raw_code] -%}
    {%- for parent in parsed.depends_on.nodes | sort if parent.startswith('model.') -%}
        {%- do code.append(graph.nodes[parent].raw_code) -%}
    {%- endfor -%}
    {#- The project's macros by name, but the post-hooks. Which ones the model calls is read off
        its code and theirs: dbt's `depends_on.macros` misses a macro called only where
        is_incremental() is true, since dbt parses a model as a first build. -#}
    {%- set macros = {} -%}
    {%- for name, value in context.items() if value.macro is defined -%}
        {%- if value.macro.package_name == project_name and name not in ('record_model_code', 'log_row_count') -%}
            {%- do macros.update({name: value.macro.macro_sql}) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set called = [] -%}
    {%- do _macros_called(model.raw_code, macros, called) -%}
    {%- for name in called | sort -%}
        {%- do code.append(macros[name]) -%}
    {%- endfor -%}
    {%- do return('safecity model code md5 ' ~ local_md5(code | join('\n'))) -%}
{%- endmacro %}

{#- Adds to `called` each of `macros` (name -> source) that `text` calls, and those they call. -#}
{% macro _macros_called(text, macros, called) -%}
    {%- for name, sql in macros.items() -%}
        {%- if name not in called and (name ~ '(') in text -%}
            {%- do called.append(name) -%}
            {%- do _macros_called(sql, macros, called) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

{% macro record_model_code() -%}
    {%- if model.config.materialized == 'incremental' -%}
        comment on table {{ this }} is '{{ model_code_comment() }}'
    {%- endif -%}
{%- endmacro %}
