-- Generated from the contracts by `safecity contract generate`: edit those, not this.
{{ config(materialized='view') }}
select * from {{ ref('stg_emergency_management__sensor_telemetry') }}
union all by name
select * from {{ ref('stg_housing_construction__sensor_telemetry') }}
