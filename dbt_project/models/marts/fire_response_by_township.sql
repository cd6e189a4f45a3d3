-- Fire-and-rescue response by township: how fast, and how often within the targets.
select
    r.county_code,
    r.township_code,
    t.name as township_name,
    count(*) as incidents,
    median(r.alarm_to_dispatch_s) as median_alarm_to_dispatch_s,
    quantile_cont(r.alarm_to_dispatch_s, 0.9) as p90_alarm_to_dispatch_s,
    median(r.dispatch_to_arrival_s) as median_dispatch_to_arrival_s,
    quantile_cont(r.dispatch_to_arrival_s, 0.9) as p90_dispatch_to_arrival_s,
    median(r.arrival_to_close_s) as median_arrival_to_close_s,
    round(avg(r.dispatch_within_target::int), 4) as share_dispatch_within_target,
    round(avg(r.arrival_within_target::int), 4) as share_arrival_within_target
from {{ ref('fire_response_times') }} as r
left join {{ ref('dim_admin_division') }} as t on t.division_code = r.township_code
group by all
