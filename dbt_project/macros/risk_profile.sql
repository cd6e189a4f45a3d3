{#- One risk profile per subject of a kind: its score (the sum of its facts' points), its rank
    and decile among the subjects with any fact, and the reasons in words, largest first. -#}
{% macro risk_profile(subject_kind) -%}
    select
        subject_key,
        sum(points) as risk_score,
        rank() over (order by sum(points) desc) as risk_rank,
        ntile(10) over (order by sum(points) desc, subject_key) as risk_decile,
        count(*) as facts,
        string_agg(
            description || ' ×' || occurrences || ' (' || points || ' pts)',
            '; ' order by points desc, fact
        ) as reasons
    from {{ ref('risk_facts') }}
    where subject_kind = '{{ subject_kind }}'
    group by subject_key
{%- endmacro %}
