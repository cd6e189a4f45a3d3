-- Which organisation each mention is, by exact identifiers only (the linkage stage will
-- replace this model with one of the same columns, adding probabilistic matches):
-- a credit code; else a licence number (through the licence register's credit code
-- when it has one, or the credit code of the one organisation with the licensee's
-- normalised name in its county); else a normalised name that one identified
-- organisation carries (in the same county when the mention says one); else the
-- normalised name itself.
with mentions as (select * from {{ ref('int_organisation_mentions') }}),
licence_codes as (
    select licence_no, max(uscc) as uscc
    from mentions
    where role = 'licensee' and uscc is not null
    group by licence_no
),
identified as (
    select
        m.*,
        case
            when m.uscc is not null then 'U:' || m.uscc
            when l.uscc is not null then 'U:' || l.uscc
            when m.licence_no is not null then 'L:' || m.licence_no
        end as identified_key,
        case
            when m.uscc is not null then 'credit_code'
            when l.uscc is not null then 'licence_register'
            when m.licence_no is not null then 'licence_number'
        end as identified_on
    from mentions as m
    left join licence_codes as l using (licence_no)
),
names as (
    -- Normalised names that belong to exactly one identified organisation (per county, and city-wide).
    select name_normalised, county_code, min(identified_key) as organisation_key
    from identified
    where identified_key is not null and name_normalised is not null
    group by name_normalised, county_code
    having count(distinct identified_key) = 1
),
credit_names as (
    -- Normalised names (in a county) that belong to exactly one credit code.
    select name_normalised, county_code, min(identified_key) as organisation_key
    from identified
    where identified_key like 'U:%' and name_normalised is not null and county_code is not null
    group by name_normalised, county_code
    having count(distinct identified_key) = 1
),
city_names as (
    select name_normalised, min(identified_key) as organisation_key
    from identified
    where identified_key is not null and name_normalised is not null
    group by name_normalised
    having count(distinct identified_key) = 1
)
select
    i.source_department,
    i.source_feed,
    i.source_record_id,
    i.role,
    coalesce(
        case when i.identified_key like 'L:%' then k.organisation_key end,
        i.identified_key,
        n.organisation_key,
        c.organisation_key,
        'N:' || md5(coalesce(i.county_code, '') || '|' || i.name_normalised)
    ) as organisation_key,
    case
        when i.identified_key like 'L:%' and k.organisation_key is not null then 'licensee_name_of_credit_code'
        when i.identified_key is not null then i.identified_on
        when n.organisation_key is not null or c.organisation_key is not null then 'normalised_name_of_identified'
        else 'normalised_name'
    end as matched_on,
    'exact' as method,
    cast(1.0 as double) as match_probability
from identified as i
left join credit_names as k on k.name_normalised = i.name_normalised and k.county_code = i.county_code
left join names as n on n.name_normalised = i.name_normalised and n.county_code = i.county_code and i.identified_key is null
left join city_names as c on c.name_normalised = i.name_normalised and i.identified_key is null
where i.identified_key is not null or i.name_normalised is not null
