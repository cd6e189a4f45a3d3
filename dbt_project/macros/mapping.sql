{#- What the feed contracts' mappings and contracts/vocabulary.yaml declare, for the hand-written
    models: sets to test membership in (`x in {{ event_types_that('rectifiable') }}`), never lists
    of feeds, roles or types written in SQL. -#}

{#- The event types with a flag of the vocabulary: proximity or rectifiable (int_event_types). -#}
{% macro event_types_that(flag) -%}
    (select declared_type.event_type from {{ ref('int_event_types') }} as declared_type where declared_type.{{ flag }})
{%- endmacro %}

{#- The organisation roles with a flag of the mappings: responder or register (int_mention_roles). -#}
{% macro organisation_roles_that(flag) -%}
    (
        select declared_role.role from {{ ref('int_mention_roles') }} as declared_role
        where declared_role.kind = 'organisation' and declared_role.{{ flag }}
    )
{%- endmacro %}

{#- The event type free text names (a mapping's {classify: property, otherwise: type}): the type
    whose keywords (int_event_keywords) the text contains with the most weight, a tie to the
    first type by name; `otherwise` when it contains none. -#}
{% macro classified_event_type(text, otherwise) -%}
    coalesce(
        (
            select keyword.event_type
            from {{ ref('int_event_keywords') }} as keyword
            where contains({{ text }}, keyword.keyword)
            group by keyword.event_type
            order by sum(keyword.weight) desc, keyword.event_type
            limit 1
        ),
        {{ otherwise }}
    )
{%- endmacro %}
