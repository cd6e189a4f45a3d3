{#
  The figures a resource register's latest record gives, one row per resource (int_resource_figures):
  `register` a staging model, `key` the resolved key the resource has (object_key, or
  organisation_key for a register of organisations), the others SQL expressions over the
  register's columns (alias g). arg_max keeps, per resource, the latest record's values; a
  status the latest record leaves empty keeps the one before. `latest` orders a resource's
  records: the delivery day for a register, the day a report is about for a daily report
  (one sent late is not the latest).
#}
{% macro latest_register_figures(
    register, key='object_key', capacity='null', served='null', area_m2='null', water_t='null',
    detail='null', status='null', latest='g.delivery_date'
) %}
    {%- set resolution = 'int_object_resolution' if key == 'object_key' else 'int_organisation_resolution' -%}
    select
        r.{{ key }} as resource_key,
        arg_max(
            {
                capacity: ({{ capacity }})::bigint,
                served: ({{ served }})::bigint,
                area_m2: ({{ area_m2 }})::double,
                water_t: ({{ water_t }})::double,
                detail: ({{ detail }})::varchar
            },
            {{ latest }}
        ) as f,
        arg_max(({{ status }})::varchar, {{ latest }}) as status
    from {{ ref(register) }} as g
    inner join {{ ref(resolution) }} as r
        on r.source_feed = g.source_feed and r.source_record_id = g.source_record_id
    group by r.{{ key }}
{% endmacro %}
