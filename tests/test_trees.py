"""Fitted scikit-learn trees stacked into one flat forest (moesaic.trees.stack_trees)."""

from __future__ import annotations

import numpy as np
from sklearn.tree import DecisionTreeClassifier

from moesaic.trees import LEAF, descend, stack_trees


def test_stacked_trees_keep_each_trees_nodes_and_reach_the_same_leaves() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((200, 3))
    y = (x[:, 0] + 0.5 * x[:, 1] > 0).astype(int)
    trees = [DecisionTreeClassifier(max_depth=d, random_state=0).fit(x, y) for d in (1, 3)]
    roots, left, right = stack_trees(trees)
    sizes = [t.tree_.node_count for t in trees]
    assert roots.tolist() == [0, sizes[0]] and len(left) == len(right) == sum(sizes)
    assert left.dtype == right.dtype == np.int64
    for k, t in enumerate(trees):
        nodes = slice(roots[k], roots[k] + sizes[k])
        leaf = t.tree_.children_left == LEAF
        assert np.all(left[nodes][leaf] == LEAF) and np.all(right[nodes][leaf] == LEAF)
        assert np.all(left[nodes][~leaf] == t.tree_.children_left[~leaf] + roots[k])
    feature = np.concatenate([t.tree_.feature for t in trees])
    threshold = np.concatenate([t.tree_.threshold for t in trees])
    reached = descend(x.astype(np.float32), roots, left, right, feature, threshold)
    for k, t in enumerate(trees):
        assert np.array_equal(reached[:, k] - roots[k], t.apply(x.astype(np.float32)))
