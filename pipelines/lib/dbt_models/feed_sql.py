"""One mapped feed as SQL: where its mentions are read from, and their values.

A mention is read from the feed's staging view (or, for readings collapsed per entity,
`records.latestPer`, from its `__latest` model), one row per record; `each` unnests an
array property (one row per item, its 1-based position the slot) and `split` a cell of
several names (one row per part). Every value a mapping gives is compiled by `sql.Record`
against the properties at the mention's level.
"""

from __future__ import annotations

from pipelines.lib.contracts.model import FeedContract, FeedMapping, MappedValue, Mention
from pipelines.lib.contracts.shared_vocabulary import SharedVocabulary
from pipelines.lib.dbt_models.sql import Record, literal, macro
from pipelines.lib.dbt_models.staging import model_name, record_id_key

ITEM = "_item"  # an array's item, once unnested; contract names never start with "_"
PART = "_part"  # a part of a split cell
SLOT = "_slot"


class FeedSql:
    def __init__(self, contract: FeedContract, vocabulary: SharedVocabulary) -> None:
        assert contract.mapping is not None
        self.contract = contract
        self.mapping: FeedMapping = contract.mapping
        self.vocabulary = vocabulary
        self.fields = {f.name: f for f in contract.fields}
        self.record = Record(self.fields)

    @property
    def staged(self) -> str:
        """The model a mention's records come from."""
        if self.mapping.records is not None:
            return latest_model_name(self.contract)
        return model_name(self.contract)

    def source(self, mention: Mention) -> str:
        """The FROM clause of a mention's branch."""
        ref = f"{{{{ ref('{self.staged}') }}}}"
        if mention.each:
            array = mention.each
            return (
                f"(select *, unnest({array}) as {ITEM}, unnest(range(1, len({array}) + 1)) as {SLOT} "
                f"from {ref})"
            )
        if mention.split:
            parts = f"string_split({mention.split.column}, {literal(mention.split.separator)})"
            return (
                f"(select *, unnest({parts}) as {PART}, unnest(range(1, len({parts}) + 1)) as {SLOT} "
                f"from {ref})"
            )
        return ref

    def slot(self, mention: Mention) -> str:
        return SLOT if (mention.each or mention.split) else "1"

    def record_of(self, mention: Mention) -> Record:
        """The properties a mention's values name: the record's, or its array's items'."""
        if mention.each:
            array = self.fields[mention.each]
            return Record({f.name: f for f in array.items}, prefix=f"{ITEM}.")
        return self.record

    def value(self, mention: Mention, name: str) -> str | None:
        """An attribute's SQL, or None when the mapping does not give it."""
        if name == "name" and mention.split:
            return PART
        value: MappedValue | None = mention.attribute(name)
        return None if value is None else self.record_of(mention).value(value)

    def identifier(self, mention: Mention, name: str) -> str | None:
        value = dict(mention.identifiers).get(name)
        return None if value is None else self.record_of(mention).value(value)

    def point(self, mention: Mention) -> tuple[str, str] | None:
        if mention.point is None:
            return None
        record = self.record_of(mention)
        return record.column(mention.point[0]), record.column(mention.point[1])

    def location_key(self, place: Mention) -> str:
        """The macro location_key over a place mention's point, address and county."""
        longitude, latitude = self.point(place) or ("null", "null")
        address = self.value(place, "address") or "null"
        county = self.value(place, "county") or "null"
        coordinates = self.contract.coordinates
        if address != "null" and coordinates is not None and coordinates.accuracy_m is not None:
            # An approximate point: the address identifies the place where there is one.
            longitude = f"case when {address} is null then {longitude} end"
            latitude = f"case when {address} is null then {latitude} end"
        return macro("location_key", longitude, latitude, address, county)

    def related(self, relation_type: str, role: str, kind: str) -> Mention | None:
        """The mention at the other end of a `relation_type` relation from `role`."""
        for relation in self.mapping.relations:
            if relation.type != relation_type:
                continue
            if relation.from_role == role:
                found = self.mapping.mention(kind, relation.to_role)
            elif relation.to_role == role:
                found = self.mapping.mention(kind, relation.from_role)
            else:
                continue
            if found is not None:
                return found
        return None


def latest_model_name(contract: FeedContract) -> str:
    return f"int_{contract.department}__{contract.feed}__latest"


def latest_record_id(contract: FeedContract) -> str:
    """The record id of an entity's latest reading: `<feed>:<latestPer>` (e.g. a detector)."""
    assert contract.mapping is not None and contract.mapping.records is not None
    key = record_id_key(contract, contract.mapping.records.latest_per)
    return f"{literal(contract.feed + ':')} || {key}"
