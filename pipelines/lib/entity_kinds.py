"""The kinds of entity linkage resolves, named once for every stage, command and check.

Events, the fifth POLE-O kind, are not resolved: each source record is its own event.
"""

ENTITY_KINDS: tuple[str, ...] = ("organisation", "person", "place", "object")
# Linked by probabilistic scores (Splink), so with a review queue engineers decide.
REVIEWED_KINDS: tuple[str, ...] = ("organisation", "person")
