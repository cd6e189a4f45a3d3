-- HJ 633-2012 IAQI breakpoints as segments: between two consecutive breakpoints of one
-- pollutant and averaging period, IAQI is linear in the concentration. Empty cells (a
-- period not used above some level) end that period's segments.
with wide as (
    select * from {{ reference_csv('standards/hj633_iaqi_breakpoints.csv') }}
),

points as (
    unpivot wide on columns(* exclude (iaqi)) into name measure value concentration
),

parsed as (
    select
        cast(iaqi as integer) as iaqi,
        split_part(measure, '_', 1) as pollutant,
        split_part(measure, '_', 2) as averaging_period,
        cast(nullif(concentration, '') as double) as concentration
    from points
),

segments as (
    select
        pollutant,
        averaging_period,
        iaqi as iaqi_low,
        lead(iaqi) over w as iaqi_high,
        concentration as concentration_low,
        lead(concentration) over w as concentration_high
    from parsed
    where concentration is not null
    window w as (partition by pollutant, averaging_period order by iaqi)
)

select * from segments
where iaqi_high is not null
