-- GB 18218-2018 grading of every hazard installation, with the inputs that produced it.
--   S = Σ q/Q; the installation is a major hazard source when S >= 1.
--   R = α · Σ β·q/Q, α by the people exposed within 500 m; grade 1 R >= 100, 2 [50, 100),
--   3 [10, 50), 4 below 10.
-- A substance missing from the standard's table leaves R unknown: such an installation is
-- listed without a grade, and says why, rather than being graded on a guess.
with holdings as (select * from {{ ref('int_hazard_source_holdings') }}),

sums as (
    select
        object_key,
        any_value(hazard_source_code order by hazard_source_code) as hazard_source_code,
        max(exposed_people) as exposed_people,
        max(record_date) as declared_on,
        count(*) as substances,
        count(*) filter (where critical_quantity_t is null) as substances_not_in_standard,
        sum(quantity_t / critical_quantity_t) as s_value,
        sum(beta * quantity_t / critical_quantity_t) as beta_weighted_sum,
        string_agg(
            substance_name
            || ' ('
            || cas_no
            || '): q '
            || quantity_t
            || ' t, Q '
            || coalesce(critical_quantity_t::varchar, '?')
            || ' t, β ' || coalesce(beta::varchar, '?'),
            '; ' order by cas_no
        ) as inputs
    from holdings
    group by object_key
),

graded as (
    select
        *,
        {{ gb18218_alpha('exposed_people') }} as alpha,
        -- Rounded so that binary floating point cannot move an R of exactly 10, 50 or 100.
        round({{ gb18218_alpha('exposed_people') }} * beta_weighted_sum, 6) as r_value
    from sums
)

select
    g.object_key,
    g.hazard_source_code,
    o.name as installation_name,
    o.owner_organisation_key as organisation_key,
    o.place_key,
    p.county_code,
    p.township_code,
    p.longitude,
    p.latitude,
    g.substances,
    g.exposed_people,
    g.alpha,
    round(g.s_value, 6) as s_value,
    g.r_value,
    -- The substances the table knows can already make S >= 1; an unknown one can only add.
    round(g.s_value, 6) >= 1 as is_major_hazard_source,
    case
        when g.substances_not_in_standard > 0 then null
        when round(g.s_value, 6) >= 1 then {{ gb18218_grade('g.r_value') }}
    end as grade,
    case
        when
            g.substances_not_in_standard > 0
            then g.substances_not_in_standard || ' substance(s) not in the GB 18218 table'
        when round(g.s_value, 6) < 1 then 'not a major hazard source (S < 1)'
        else 'graded'
    end as grading_status,
    g.inputs,
    g.declared_on
from graded as g
left join {{ ref('dim_object') }} as o using (object_key)
left join {{ ref('dim_place') }} as p on p.place_key = o.place_key
