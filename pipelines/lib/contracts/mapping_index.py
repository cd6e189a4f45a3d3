"""What the feed contracts' mappings say together: the warehouse's vocabularies, and their agreement.

One feed's `mapping` is checked when its contract loads (`mapping.py`). What only shows
across feeds is checked here:

- one role, one meaning: an organisation role is a responder (never an event's subject)
  or the register (preferred by dim_organisation) in every feed that uses it, or in none,
  and an object role names one object kind;
- a hand-written model of derived events is named by one feed only, else its events
  would be counted twice.

The index also gives the sets the warehouse's enums and generated models come from: the
event types used (given or derived) and their categories, the departments, the roles of
each kind, the object kinds and the roles at each end of each relation type. It runs in
`safecity contract check` and before generating dbt models, never at ingestion: a
disagreement is the warehouse's problem, not a feed's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pipelines.lib.contracts.model import FeedContract, FeedContracts, FeedMapping, Mention
from pipelines.lib.contracts.shared_vocabulary import SharedVocabulary
from pipelines.lib.contracts.vocabulary import MENTION_FLAGS, MENTION_KINDS, RELATION_ENDS
from pipelines.lib.contracts.yaml_source import display_path


@dataclass(frozen=True)
class MappedFeed:
    """A feed contract with its mapping, and its file as messages name it."""

    department: str
    feed: str
    display: str  # e.g. contracts/feeds/fire_rescue/fire_incidents.odcs.yaml
    mapping: FeedMapping


@dataclass(frozen=True)
class MappingIndex:
    """The mappings of the valid feed contracts, read together (sorted, for stable output)."""

    feeds: tuple[MappedFeed, ...]  # by department, then feed
    unmapped: tuple[tuple[str, str], ...]  # valid feeds without a mapping: they stay in bronze
    event_types: tuple[str, ...]  # fct_event.event_type: given by an event or a derived model
    categories: tuple[str, ...]  # fct_event.category values those types have
    departments: tuple[str, ...]  # departments with a mapped feed
    event_departments: tuple[str, ...]  # fct_event.source_department: those giving events
    roles: Mapping[str, tuple[str, ...]]  # mention kind -> roles (every kind is a key)
    object_kinds: tuple[str, ...]  # dim_object.kind
    responders: tuple[str, ...]  # organisation roles that respond: never an event's subject
    registers: tuple[str, ...]  # organisation roles of a register, preferred over others
    problems: tuple[str, ...]  # `file:line: key.path: message`, cross-feed disagreements

    def relation_roles(self, relation_type: str, kind: str) -> tuple[str, ...]:
        """The roles at the `kind` end of `relation_type`, e.g. (premises, place)."""
        ends = RELATION_ENDS[relation_type]
        if kind not in ends:
            raise KeyError(f"a {relation_type} relation has no {kind} end ({', '.join(ends)})")
        first = ends.index(kind) == 0
        return _sorted(
            (relation.from_role if first else relation.to_role)
            for feed in self.feeds
            for relation in feed.mapping.relations
            if relation.type == relation_type
        )


def mapping_index(
    contracts: FeedContracts, vocabulary: SharedVocabulary, root: Path | None = None
) -> MappingIndex:
    """The index of every valid contract's mapping; `root` shortens file names in messages."""
    valid: list[FeedContract] = sorted(contracts.values(), key=lambda c: (c.department, c.feed))
    feeds = tuple(
        MappedFeed(c.department, c.feed, display_path(c.path, root), c.mapping)
        for c in valid
        if c.mapping is not None
    )
    event_types = _sorted(t for feed in feeds for t in _event_types(feed.mapping))
    return MappingIndex(
        feeds=feeds,
        unmapped=tuple((c.department, c.feed) for c in valid if c.mapping is None),
        event_types=event_types,
        # Every mapped type is in the vocabulary: the contracts were loaded against it.
        categories=_sorted(vocabulary.event_types[t].category for t in event_types),
        departments=_sorted(feed.department for feed in feeds),
        event_departments=_sorted(feed.department for feed in feeds if _event_types(feed.mapping)),
        roles={
            kind: _sorted(m.role for _, m in _mentions(feeds) if m.kind == kind)
            for kind in MENTION_KINDS
        },
        object_kinds=_sorted(m.object_kind for _, m in _mentions(feeds) if m.object_kind),
        responders=_sorted(m.role for _, m in _mentions(feeds) if m.responder),
        registers=_sorted(m.role for _, m in _mentions(feeds) if m.register),
        problems=tuple(
            [
                *_flag_disagreements(feeds),
                *_object_kind_disagreements(feeds),
                *_derived_models_named_twice(feeds),
            ]
        ),
    )


def _sorted(values: Iterable[str | None]) -> tuple[str, ...]:
    return tuple(sorted({v for v in values if v is not None}))


def _event_types(mapping: FeedMapping) -> tuple[str, ...]:
    given = mapping.event.event_types if mapping.event is not None else ()
    return (*given, *(t for derived in mapping.derived_events for t in derived.types))


def _mentions(feeds: Iterable[MappedFeed]) -> Iterable[tuple[MappedFeed, Mention]]:
    return ((feed, mention) for feed in feeds for mention in feed.mapping.mentions)


def _mention_key(feed: MappedFeed, mention: Mention) -> str:
    """The mention's place in the contract, as `mapping.mentions[i]` (the custom property)."""
    return f"mapping.mentions[{feed.mapping.mentions.index(mention)}]"


def _flag_disagreements(feeds: tuple[MappedFeed, ...]) -> list[str]:
    """A role is a responder (or a register) wherever its kind uses it, or nowhere.

    The warehouse reads the flags per (kind, role) (int_mention_roles), so two feeds
    disagreeing would make one of them wrong. The first use in file order is taken as
    meant; each later disagreeing use is reported, naming the first.
    """
    problems: list[str] = []
    first: dict[tuple[str, str], tuple[MappedFeed, Mention]] = {}
    for feed, mention in _mentions(feeds):
        key = (mention.kind, mention.role)
        if key not in first:
            first[key] = (feed, mention)
            continue
        other_feed, other = first[key]
        for flag in sorted(MENTION_FLAGS.get(mention.kind, frozenset())):
            mine, theirs = getattr(mention, flag), getattr(other, flag)
            if mine != theirs:
                problems.append(
                    f"{feed.display}:{mention.line}: {_mention_key(feed, mention)}.{flag}: "
                    f"{mention.kind} role {mention.role!r} is {_flag_text(flag, mine)} here but "
                    f"{_flag_text(flag, theirs)} in {other_feed.display}:{other.line}: one role, "
                    f"one meaning (give both the same {flag}, or rename one role)"
                )
    return problems


def _object_kind_disagreements(feeds: tuple[MappedFeed, ...]) -> list[str]:
    """An object role names one kind of object (bridge_event_object.role means one thing)."""
    problems: list[str] = []
    first: dict[str, tuple[MappedFeed, Mention]] = {}
    for feed, mention in _mentions(feeds):
        if mention.kind != "object":
            continue
        if mention.role not in first:
            first[mention.role] = (feed, mention)
            continue
        other_feed, other = first[mention.role]
        if mention.object_kind != other.object_kind:
            problems.append(
                f"{feed.display}:{mention.line}: {_mention_key(feed, mention)}.objectKind: "
                f"object role {mention.role!r} is a {mention.object_kind} here but a "
                f"{other.object_kind} in {other_feed.display}:{other.line}: one role, one "
                "meaning (rename one role)"
            )
    return problems


def _flag_text(flag: str, value: bool) -> str:
    noun = {"responder": "a responder", "register": "a register"}[flag]
    return noun if value else f"not {noun}"


def _derived_models_named_twice(feeds: tuple[MappedFeed, ...]) -> list[str]:
    """A derived-events model belongs to one feed: named twice, its events would be doubled."""
    problems: list[str] = []
    first: dict[str, tuple[MappedFeed, int]] = {}
    for feed in feeds:
        for index, derived in enumerate(feed.mapping.derived_events):
            if derived.model not in first:
                first[derived.model] = (feed, derived.line)
                continue
            other_feed, other_line = first[derived.model]
            problems.append(
                f"{feed.display}:{derived.line}: mapping.derivedEvents[{index}].model: "
                f"{derived.model} is named by {other_feed.display}:{other_line} already: its "
                "events would be counted twice (name it in one feed)"
            )
    return problems
