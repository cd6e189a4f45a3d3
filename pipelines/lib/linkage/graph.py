"""Clusters from pairwise links: connected components, optionally refusing some merges."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

TWO_LABELS = "conflicting identifiers"
KEPT_APART = "decided different"


class _Forest:
    """Union-find over node numbers 0..n-1 (path halving, union by size)."""

    def __init__(self, n: int):
        self.parent = np.arange(n, dtype=np.int64)
        self.size = np.ones(n, dtype=np.int64)

    def find(self, node: int) -> int:
        parent = self.parent
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return int(node)

    def union(self, a: int, b: int) -> int:
        if self.size[a] < self.size[b]:
            a, b = b, a
        self.parent[b] = a
        self.size[a] += self.size[b]
        return a

    def roots(self) -> np.ndarray:
        return np.fromiter(
            (self.find(i) for i in range(len(self.parent))), dtype=np.int64, count=len(self.parent)
        )


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component number of each node (the number of its smallest member), given undirected edges.

    Vectorised: every node repeatedly takes the smallest label across its edges, and labels
    jump to their label's label, until nothing changes. A million identifier edges take a
    fraction of a second, where a union-find loop in Python took seconds.
    """
    labels = np.arange(n, dtype=np.int64)
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    while True:
        smaller = np.minimum(labels[left], labels[right])
        updated = labels.copy()
        np.minimum.at(updated, left, smaller)
        np.minimum.at(updated, right, smaller)
        while True:  # pointer jumping: a label is a node of the component, with a label of its own
            jumped = updated[updated]
            if np.array_equal(jumped, updated):
                break
            updated = jumped
        if np.array_equal(updated, labels):
            return labels
        labels = updated


def constrained_components(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    strength: np.ndarray,
    label: list[str | None],
    apart: Sequence[tuple[int, int]] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Components joining the strongest edges first, never joining two different non-null labels
    nor the two nodes of an `apart` pair.

    The label is an identifier a component may hold at most one of (a credit code: two codes
    are two organisations, however alike their names); `apart` pairs are nodes a person decided
    are different, however strongly linked through others. Returns the component of each node
    and, per edge, why it was refused (`TWO_LABELS`, `KEPT_APART`) or None where it was not.
    """
    forest = _Forest(n)
    held: dict[int, str] = {i: value for i, value in enumerate(label) if value is not None}
    # Per root, the nodes its component must never join (few: one per review decision).
    avoided: dict[int, set[int]] = {}
    for a, b in apart:
        avoided.setdefault(a, set()).add(b)
        avoided.setdefault(b, set()).add(a)
    refused = np.full(len(left), None, dtype=object)
    for edge in np.argsort(-strength, kind="stable").tolist():
        ra, rb = forest.find(int(left[edge])), forest.find(int(right[edge]))
        if ra == rb:
            continue
        la, lb = held.get(ra), held.get(rb)
        if la is not None and lb is not None and la != lb:
            refused[edge] = TWO_LABELS
            continue
        if any(forest.find(node) == rb for node in avoided.get(ra, ())):
            refused[edge] = KEPT_APART
            continue
        root = forest.union(ra, rb)
        joined_label = la if la is not None else lb
        if joined_label is not None:
            held[root] = joined_label
        if ra in avoided or rb in avoided:
            avoided[root] = avoided.pop(ra, set()) | avoided.pop(rb, set())
    return _smallest_member(forest.roots()), refused


def _smallest_member(roots: np.ndarray) -> np.ndarray:
    """Renumber components by their smallest node, so the numbering does not depend on merge order."""
    smallest: dict[int, int] = {}
    for node, root in enumerate(roots.tolist()):
        smallest.setdefault(root, node)
    return np.fromiter((smallest[r] for r in roots.tolist()), dtype=np.int64, count=len(roots))
