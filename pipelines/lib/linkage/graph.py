"""Clusters from pairwise links: connected components, optionally refusing some merges."""

from __future__ import annotations

import numpy as np


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
        return np.fromiter((self.find(i) for i in range(len(self.parent))), dtype=np.int64, count=len(self.parent))


def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Component number of each node (the number of its smallest member), given undirected edges."""
    forest = _Forest(n)
    for a, b in zip(left.tolist(), right.tolist()):
        ra, rb = forest.find(a), forest.find(b)
        if ra != rb:
            forest.union(ra, rb)
    return _smallest_member(forest.roots())


def constrained_components(n: int, left: np.ndarray, right: np.ndarray, strength: np.ndarray, label: list[str | None]) -> tuple[np.ndarray, np.ndarray]:
    """Components joining the strongest edges first, never joining two different non-null labels.

    The label is an identifier a component may hold at most one of (a credit code: two codes
    are two organisations, however alike their names). Returns the component of each node and,
    per edge, whether it was refused because it would have joined two labels.
    """
    forest = _Forest(n)
    held: dict[int, str] = {i: value for i, value in enumerate(label) if value is not None}
    refused = np.zeros(len(left), dtype=bool)
    for edge in np.argsort(-strength, kind="stable").tolist():
        ra, rb = forest.find(int(left[edge])), forest.find(int(right[edge]))
        if ra == rb:
            continue
        la, lb = held.get(ra), held.get(rb)
        if la is not None and lb is not None and la != lb:
            refused[edge] = True
            continue
        root = forest.union(ra, rb)
        if la is not None or lb is not None:
            held[root] = la if la is not None else lb
    return _smallest_member(forest.roots()), refused


def _smallest_member(roots: np.ndarray) -> np.ndarray:
    """Renumber components by their smallest node, so the numbering does not depend on merge order."""
    smallest: dict[int, int] = {}
    for node, root in enumerate(roots.tolist()):
        smallest.setdefault(root, node)
    return np.fromiter((smallest[r] for r in roots.tolist()), dtype=np.int64, count=len(roots))
