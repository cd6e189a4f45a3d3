"""Stable keys: same input, same keys; new data keeps old keys; merges and splits are recorded."""

import numpy as np
import polars as pl

from pipelines.lib.linkage.graph import connected_components, constrained_components
from pipelines.lib.linkage.keys import REGISTRY_SCHEMA, assign_keys


def clusters(rows):
    return pl.DataFrame(
        rows,
        schema={"mention_id": pl.String, "cluster": pl.Int64, "anchor": pl.String},
        orient="row",
    )


EMPTY = pl.DataFrame(schema=REGISTRY_SCHEMA)


def test_a_new_cluster_is_keyed_by_its_anchor_else_by_a_hash_of_its_first_mention():
    first = assign_keys(clusters([("a", 0, "U:1"), ("b", 0, None), ("c", 1, None)]), EMPTY, "O:")
    keys = dict(first.keys.iter_rows())
    assert keys["a"] == keys["b"] == "U:1"
    assert keys["c"].startswith("O:") and len(keys["c"]) == 18
    assert first.new_entities == 2 and first.changes.is_empty()
    # The same input gives the same keys, with or without the registry.
    assert assign_keys(
        clusters([("a", 5, "U:1"), ("b", 5, None), ("c", 9, None)]), EMPTY, "O:"
    ).keys.equals(first.keys)
    again = assign_keys(
        clusters([("a", 0, "U:1"), ("b", 0, None), ("c", 1, None)]), first.keys, "O:"
    )
    assert again.keys.equals(first.keys) and again.new_entities == 0 and again.changes.is_empty()


def test_new_mentions_join_an_entity_without_renumbering_it():
    before = assign_keys(clusters([("a", 0, None), ("b", 0, None)]), EMPTY, "O:")
    old = dict(before.keys.iter_rows())["a"]
    # A new day: mention "0" sorts first (its hash would differ) and the cluster gains a credit code.
    after = assign_keys(
        clusters([("0", 0, "U:9"), ("a", 0, "U:9"), ("b", 0, "U:9")]), before.keys, "O:"
    )
    assert set(dict(after.keys.iter_rows()).values()) == {old}
    assert after.changes.is_empty() and after.new_entities == 0


def test_merges_and_splits_are_recorded():
    before = assign_keys(
        clusters(
            [
                ("a", 0, None),
                ("b", 0, None),
                ("c", 1, None),
                ("d", 2, None),
                ("e", 2, None),
                ("f", 2, None),
            ]
        ),
        EMPTY,
        "O:",
    )
    key = dict(before.keys.iter_rows())
    # a, b and c become one entity; f leaves d and e.
    after = assign_keys(
        clusters(
            [
                ("a", 0, None),
                ("b", 0, None),
                ("c", 0, None),
                ("d", 2, None),
                ("e", 2, None),
                ("f", 3, None),
            ]
        ),
        before.keys,
        "O:",
    )
    new = dict(after.keys.iter_rows())
    assert new["a"] == new["b"] == new["c"] == key["a"]  # the larger side keeps its key
    assert new["d"] == new["e"] == key["d"] and new["f"] not in set(key.values())
    changes = {
        (r["change"], r["entity_key"], r["previous_key"])
        for r in after.changes.iter_rows(named=True)
    }
    assert changes == {("merged", key["a"], key["c"]), ("split", new["f"], key["d"])}


def test_components_never_join_two_labels_and_the_strongest_link_wins():
    # 0 (label X) - 1 (no label) - 2 (label Y): 1 goes with the label it is more likely to be.
    components, refused = constrained_components(
        3, np.array([0, 1]), np.array([1, 2]), np.array([0.96, 0.99]), ["X", None, "Y"]
    )
    assert components.tolist() == [0, 1, 1] and refused.tolist() == [
        "conflicting identifiers",
        None,
    ]
    assert connected_components(4, np.array([0, 2]), np.array([1, 3])).tolist() == [0, 0, 2, 2]


def test_components_keep_a_pair_decided_different_apart_even_through_others():
    # 0 - 1 - 2 - 3 all strongly linked, but 0 and 3 were decided different: the weakest
    # link that would bring them together is refused, whatever the path.
    components, refused = constrained_components(
        4,
        np.array([0, 1, 2]),
        np.array([1, 2, 3]),
        np.array([0.99, 0.96, 0.98]),
        [None] * 4,
        apart=[(0, 3)],
    )
    assert components.tolist() == [0, 0, 2, 2]
    assert refused.tolist() == [None, "decided different", None]


def test_components_are_found_however_long_the_path_and_whatever_the_edge_order():
    # A chain 0-1-...-999 given backwards (the slowest case for label propagation), a star
    # around node 1500, and nodes with no edge at all.
    chain = np.arange(999)
    star = np.arange(1001, 1500)
    left = np.concatenate([chain[::-1], np.full(star.size, 1500)])
    right = np.concatenate([chain[::-1] + 1, star])
    components = connected_components(1600, left, right)
    assert (components[:1000] == 0).all()
    assert (components[1001:1501] == 1001).all() and components[1000] == 1000
    assert components[1501:].tolist() == list(range(1501, 1600))
