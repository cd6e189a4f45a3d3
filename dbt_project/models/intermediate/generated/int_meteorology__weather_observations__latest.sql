-- Generated from the contracts by `safecity contract generate`: edit those, not this.
{{ config(materialized='incremental', incremental_strategy='delete+insert', unique_key=['station_code'], on_schema_change='append_new_columns') }}
select
    station_code,
    arg_max(county_code, observed_at) as county_code,
    arg_max(latitude, observed_at) as latitude,
    arg_max(longitude, observed_at) as longitude,
    arg_max(station_name, observed_at) as station_name,
    arg_max(_source_file, observed_at) as _source_file,
    arg_max(_source_row, observed_at) as _source_row,
    max(observed_at) as last_reported_at,
    any_value(source_department) as source_department,
    any_value(source_feed) as source_feed,
    'weather_observations:' || station_code as source_record_id,
    max(delivery_date) as delivery_date
from {{ ref('stg_meteorology__weather_observations') }}
where {{ delivery_days_to_build() }}
group by station_code
