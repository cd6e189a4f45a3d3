-- Generated from the contracts by `safecity contract generate`: edit those, not this.
{{ config(materialized='view') }}
select * from {{ ref('stg_ecology_environment__handling_feedback') }}
union all by name
select * from {{ ref('stg_emergency_management__handling_feedback') }}
union all by name
select * from {{ ref('stg_fire_rescue__handling_feedback') }}
union all by name
select * from {{ ref('stg_market_regulation__handling_feedback') }}
union all by name
select * from {{ ref('stg_traffic_police__handling_feedback') }}
