"""Decision trees kept as flat arrays, walked with numpy.

Every tree's nodes are concatenated; ``left`` and ``right`` hold global node indices (:data:`LEAF`
at a leaf), ``roots`` the first node of each tree. Used by the isolation-forest detector
(:mod:`moesaic.tasks.detectors_classical`) and the diagnosis forests
(:mod:`moesaic.reports.diagnose.forest`), which both keep scikit-learn's trees this way so that
scoring needs neither scikit-learn nor pickle.

Axes: N samples, F features, M nodes of all trees, T trees.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

LEAF = -1


def stack_trees(trees: Sequence[Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``roots`` (T,), ``left`` and ``right`` (M,) int64 of fitted scikit-learn trees (objects with
    a ``tree_``), their nodes concatenated in order: each child renumbered to its global index,
    :data:`LEAF` at a leaf. The other node arrays concatenate in the same order."""
    roots, left, right, offset = [], [], [], 0
    for estimator in trees:
        tree = estimator.tree_
        roots.append(offset)
        left.append(np.where(tree.children_left == LEAF, LEAF, tree.children_left + offset))
        right.append(np.where(tree.children_right == LEAF, LEAF, tree.children_right + offset))
        offset += tree.node_count
    return (
        np.asarray(roots, dtype=np.int64),
        np.concatenate(left).astype(np.int64),
        np.concatenate(right).astype(np.int64),
    )


def descend(
    x: np.ndarray,
    roots: np.ndarray,
    left: np.ndarray,
    right: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    missing_left: np.ndarray | None = None,
) -> np.ndarray:
    """(N, T) the leaf each row of ``x`` (N, F) reaches in each tree.

    A row goes left where ``x[feature] <= threshold``; a missing (NaN) reading goes left where
    ``missing_left`` (M,) says so, right when it is None. ``x`` is compared as given: a caller
    that must match scikit-learn casts it to float32 first.
    """
    node = np.tile(roots, (len(x), 1))  # (N, T)
    rows = np.broadcast_to(np.arange(len(x))[:, None], node.shape)
    inner = left[node] != LEAF
    while inner.any():
        n = node[inner]
        reading = x[rows[inner], feature[n]]
        go_left = reading <= threshold[n]
        if missing_left is not None:
            go_left = np.where(np.isnan(reading), missing_left[n], go_left)
        node[inner] = np.where(go_left, left[n], right[n])
        inner = left[node] != LEAF
    return node


def node_depths(roots: np.ndarray, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """(M,) the depth of every node (0 at the roots)."""
    depth = np.zeros(len(left), dtype=np.int64)
    frontier, level = np.asarray(roots, dtype=np.int64), 0
    while frontier.size:
        depth[frontier] = level
        inner = frontier[left[frontier] != LEAF]
        frontier, level = np.concatenate([left[inner], right[inner]]), level + 1
    return depth
