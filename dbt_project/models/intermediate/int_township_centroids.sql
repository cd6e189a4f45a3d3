-- Where each township is, learned from the feeds that deliver both a township code and a
-- point (the reference data has codes and names, no coordinates).
select
    township_code,
    left(township_code, 6) as county_code,
    {{ mean_coordinate('longitude') }} as longitude,
    {{ mean_coordinate('latitude') }} as latitude,
    count(*) as points
from {{ ref('int_place_mentions') }}
where
    township_code is not null and longitude is not null
    and township_code in (select t.code from {{ ref('stg_reference__townships') }} as t)
group by township_code
