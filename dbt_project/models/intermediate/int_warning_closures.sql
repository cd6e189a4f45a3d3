-- Why and when each continuing warning ended: one row per lifecycle (int_warning_days) that has
-- ended, closed by the earliest of its closures. This is the one place a warning is closed: each
-- way of closing one is a select below, named by a reason of seeds/config/warning_close_reasons.csv
-- (whose note the Cancel message carries). A closure such as "closed by the dispatch loop" is one
-- more select in `closures` and one more row in that seed.
with days as (select * from {{ ref('int_warning_days') }}),

lifecycles as (
    select
        lifecycle_id,
        max(as_of_date) as last_day,
        -- Messages are sent in date order and each runs valid_hours: the last one expires last.
        max(expires_at) filter (where msg_type is not null) as message_expires_at
    from days
    group by lifecycle_id
),

-- The rule no longer raises the warning on the day after its last: it is closed when that day's
-- deliveries are in (midnight after it, in the city's time zone, or now while that day is still
-- open: warning_issued_at, as warnings are issued). Lifted
-- while its last message was still in force, or ended when that message had run out.
no_longer_raised as (
    select
        lifecycle_id,
        closed_on,
        closed_at,
        case when message_expires_at <= closed_at then 'expired' else 'lifted' end as close_reason
    from (
        select
            lifecycle_id,
            message_expires_at,
            last_day + 1 as closed_on,
            {{ warning_issued_at('last_day + 1') }} as closed_at
        from lifecycles
        where last_day < (select max(e.delivery_date) from {{ ref('fct_event') }} as e)
    )
),

closures as (
    select * from no_longer_raised
)

select
    c.lifecycle_id,
    c.closed_on,
    c.closed_at,
    c.close_reason,
    r.note
from closures as c
left join {{ ref('warning_close_reasons') }} as r using (close_reason)
qualify row_number() over (partition by c.lifecycle_id order by c.closed_at, c.close_reason) = 1
