"""House rules on standard ODCS sections: the owner department (team, domain) and the SLA."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from pipelines.lib.contracts.model import Sla
from pipelines.lib.contracts.shapes import entries, is_number
from pipelines.lib.contracts.vocabulary import SLA_UNIT_DAYS, TEMPORAL_TYPES
from pipelines.lib.contracts.yaml_source import KeyPath, Problems

SlaEntries = dict[str, tuple[dict[str, Any], KeyPath]]

# An owner's address as Dagster accepts an asset owner (dagster._core.utils.is_valid_email):
# one it refuses would stop the whole code location, not just this feed.
OWNER_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,7}")


def owner(doc: Mapping[str, Any], department: str, problems: Problems) -> str | None:
    """The owner department is the folder, `team.name` and `domain` alike; returns the owner."""
    team = doc.get("team")
    if not isinstance(team, dict):
        where: KeyPath = ("team",) if team is not None else ()
        problems.add(where, "a team object with the owner department as name is required")
        return None
    name = team.get("name")
    if name is None:
        problems.add(("team",), "team.name (the owner department) is required")
    elif name != department:
        problems.add(("team", "name"), f"{name!r} must be the department folder {department!r}")
    domain = doc.get("domain")
    if domain is None:
        problems.add((), "domain (the owner department) is required")
    elif domain != department:
        # Compared with the folder rather than team.name, so one wrong name is one error.
        problems.add(("domain",), f"{domain!r} must be the department folder {department!r}")
    owners = [
        (index, member)
        for index, member in entries(team.get("members"))
        if member.get("role") == "owner"
    ]
    if not owners:
        problems.add(("team",), "at least one team member with role 'owner' is required")
        return None
    usernames = [m["username"] for _, m in owners if isinstance(m.get("username"), str)]
    if not usernames:
        return None  # a member without username: the schema says so
    for index, member in owners:
        name = member.get("username")
        if isinstance(name, str) and not OWNER_EMAIL.fullmatch(name):
            problems.add(
                ("team", "members", index, "username"),
                f"{name!r} must be an email address, its domain of letters, digits, '.' and '-' "
                "(no '_'; e.g. data@urban-management.example): the UI shows it as the feed's owner",
            )
    return usernames[0]


def sla_entries(doc: Mapping[str, Any], problems: Problems) -> SlaEntries:
    """The frequency and latency SLA entries, checked for value and unit."""
    found: SlaEntries = {}
    for index, entry in entries(doc.get("slaProperties")):
        name = entry.get("property")
        if name not in ("frequency", "latency"):
            continue  # other ODCS SLA properties are documentation only
        entry_path: KeyPath = ("slaProperties", index)
        if name in found:
            problems.add(entry_path, f"SLA property {name!r} given twice")
            continue
        found[name] = (entry, entry_path)
        if not is_number(entry.get("value")) or entry["value"] <= 0:
            problems.add((*entry_path, "value"), f"{name} value must be a positive number")
        if entry.get("unit") not in SLA_UNIT_DAYS:
            problems.add(entry_path, f"{name} unit must be one of {sorted(SLA_UNIT_DAYS)}")
    for name in ("frequency", "latency"):
        if name not in found:
            problems.add(("slaProperties",), f"SLA property {name!r} is required")
    return found


def sla(
    found: SlaEntries, object_name: str, types: Mapping[str, str | None], problems: Problems
) -> Sla | None:
    if "frequency" not in found or "latency" not in found:
        return None
    latency, latency_path = found["latency"]
    element = latency.get("element")
    latency_element = None
    if element is not None:
        # ODCS names elements `object.property`; latency is measured from that field.
        obj, _, prop = str(element).partition(".")
        if obj != object_name or types.get(prop) not in TEMPORAL_TYPES:
            problems.add(
                (*latency_path, "element"),
                f"{element!r} must name a date or timestamp property as {object_name}.<property>",
            )
        latency_element = prop
    frequency = found["frequency"][0]
    try:
        return Sla(
            frequency_days=frequency["value"] * SLA_UNIT_DAYS[frequency["unit"]],
            latency_days=latency["value"] * SLA_UNIT_DAYS[latency["unit"]],
            latency_element=latency_element,
        )
    except (KeyError, TypeError):  # already reported by sla_entries
        return None


def object_types(properties: Any) -> dict[str, str | None]:
    """Each top-level property's logicalType, as written (cross-references are checked against it)."""
    return {
        prop["name"]: prop.get("logicalType")
        for _, prop in entries(properties)
        if isinstance(prop.get("name"), str)
    }
