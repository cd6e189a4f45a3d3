"""Row scopes of a grant: `rows: own` keeps what the department's own records are about.

A department's own rows are those its source records resolved to (`xref_source_record`:
every source record and the entity it became) and the events it reported
(`fct_event.source_department`): traffic police get the persons in its accident reports,
not every legal representative the city knows. Of the dispatch loop, a department's own rows
are the instructions assigned to it and its assessment. The department is a query parameter
(`$department`); these predicates are fixed SQL, written against the warehouse model.

`dim_admin_division` is reference data: it belongs to no department and is granted whole.
"""

from __future__ import annotations

_OWN_ENTITIES = (
    "SELECT entity_key FROM xref_source_record "
    "WHERE entity_kind = '{kind}' AND source_department = $department"
)
_OWN_EVENTS = "SELECT event_key FROM fct_event WHERE source_department = $department"

OWN_ROWS: dict[str, str] = {
    "fct_event": "source_department = $department",
    "xref_source_record": "source_department = $department",
    "dim_person": f"person_key IN ({_OWN_ENTITIES.format(kind='person')})",
    "dim_organisation": f"organisation_key IN ({_OWN_ENTITIES.format(kind='organisation')})",
    "dim_place": f"place_key IN ({_OWN_ENTITIES.format(kind='place')})",
    "dim_object": f"object_key IN ({_OWN_ENTITIES.format(kind='object')})",
    "bridge_event_person": f"event_key IN ({_OWN_EVENTS})",
    "bridge_event_organisation": f"event_key IN ({_OWN_EVENTS})",
    "bridge_event_object": f"event_key IN ({_OWN_EVENTS})",
    "bridge_person_organisation": f"person_key IN ({_OWN_ENTITIES.format(kind='person')})",
    "bridge_organisation_place": f"organisation_key IN ({_OWN_ENTITIES.format(kind='organisation')})",
    # The dispatch loop: the instructions it was assigned, and its own assessment.
    "dispatch_assignments": "department = $department",
    "dispatch_assessment": "department = $department",
}
