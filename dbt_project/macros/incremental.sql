{#-
    Daily increments. A model built incrementally (delete+insert on delivery_date) rebuilds
    only the delivery days that landed or changed since its last build: the days from
    the environment's SAFECITY_REPROCESS_SINCE, which the pipeline sets to the earliest bronze
    partition written since the warehouse was last built, and always its own latest day (a late
    re-delivery of it costs one day). A first build, or `--full-refresh`, takes every day.
    An environment variable, not a dbt var: dbt parses the whole project again when its vars
    change, and re-parses only the files that read a variable when the variable changes.
-#}
{% macro delivery_days_to_build(lookback_days=0) -%}
    {%- if is_incremental() -%}
        delivery_date >= (
            {%- if env_var('SAFECITY_REPROCESS_SINCE', '') %}
            least(cast('{{ env_var('SAFECITY_REPROCESS_SINCE') }}' as date), {{ _latest_delivery_day() }})
            {%- else %}
            {{ _latest_delivery_day() }}
            {%- endif %}
        ) - interval {{ lookback_days }} day
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro _latest_delivery_day() -%}
    coalesce((select max(delivery_date) from {{ this }}), date '0001-01-01')
{%- endmacro %}
