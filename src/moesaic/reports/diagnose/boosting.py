"""Gradient-boosted trees as plain arrays: predicted without scikit-learn, saved as safetensors + JSON.

scikit-learn's ``HistGradientBoostingClassifier`` fits the fault classifier of the diagnosis;
:class:`Boosting` keeps what prediction needs: the nodes of every tree concatenated (children,
split feature and threshold on the raw reading, the side a missing value goes, the leaf values,
learning rate already applied), the class each tree scores, and the starting scores. It
predicts as ``predict_proba`` does: features read as float64, each sample sent down each tree,
the leaf values added to the starting score of their class tree after tree, then a softmax (a
sigmoid for two classes). Saved through :func:`moesaic.reports.diagnose.forest.save_state`, so
there is no pickle and a report process loads it in milliseconds.

Boosting has no out-of-bag samples, so :func:`fit_boosting` also keeps held-out probabilities:
each training sample's, from the model of the cross-validation fold that left it out.

Axes: N samples, F features, K classes, M nodes of all trees, T trees.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from moesaic.parallel import map_ordered
from moesaic.reports.diagnose.forest import NodeArrays, prefix_arrays, read_prefixed
from moesaic.trees import LEAF, descend

if TYPE_CHECKING:
    from sklearn.ensemble import HistGradientBoostingClassifier

HELD_OUT_FOLDS = 5


class Boosting(NodeArrays):
    """The trees of a fitted gradient-boosting classifier, as arrays (see the module docstring).

    Attributes:
        classes_: (K,) the class labels, in the order of the probability columns.
        held_out_: (N_train, K) class probabilities of the training samples from models that did
            not train on them, or None.
    """

    def __init__(
        self,
        *,
        roots: np.ndarray,
        left: np.ndarray,
        right: np.ndarray,
        feature: np.ndarray,
        threshold: np.ndarray,
        missing_left: np.ndarray,
        value: np.ndarray,
        tree_class: np.ndarray,
        baseline: np.ndarray,
        classes: np.ndarray,
        held_out: np.ndarray | None = None,
    ) -> None:
        K = len(classes)
        columns = 1 if K == 2 else K  # two classes: one score, the second class's
        nodes = {"roots": roots, "left": left, "right": right, "feature": feature}
        nodes |= {"threshold": threshold, "missing_left": missing_left}
        problems = []
        if tree_class.shape != roots.shape or (len(tree_class) and tree_class.max() >= columns):
            got = tree_class.shape
            problems.append(f"`tree_class` must give one of {columns} scores per tree, got {got}")
        if baseline.shape != (columns,):
            problems.append(f"`baseline` must be ({columns},), got {baseline.shape}")
        self._set_nodes("boosting", nodes, {"value": value}, problems)
        self.value, self.tree_class = value.astype(np.float64), tree_class.astype(np.int64)
        self.baseline = baseline.astype(np.float64)
        self.classes_ = classes
        self.held_out_ = held_out

    @classmethod
    def from_sklearn(
        cls, model: HistGradientBoostingClassifier, held_out: np.ndarray | None = None
    ) -> Boosting:
        """The arrays of a fitted ``HistGradientBoostingClassifier`` (numerical features only)."""
        roots, left, right, nodes, tree_class, offset = [], [], [], [], [], 0
        for rounds in model._predictors:
            for k, predictor in enumerate(rounds):
                n = predictor.nodes
                if np.any(n["is_categorical"]):
                    raise ValueError("categorical splits are not supported")
                leaf = n["is_leaf"].astype(bool)
                roots.append(offset)
                left.append(np.where(leaf, LEAF, n["left"].astype(np.int64) + offset))
                right.append(np.where(leaf, LEAF, n["right"].astype(np.int64) + offset))
                nodes.append(n)
                tree_class.append(k)
                offset += len(n)
        every = np.concatenate(nodes)
        return cls(
            roots=np.asarray(roots, dtype=np.int64),
            left=np.concatenate(left),
            right=np.concatenate(right),
            feature=every["feature_idx"],
            threshold=every["num_threshold"],
            missing_left=every["missing_go_to_left"],
            value=every["value"],
            tree_class=np.asarray(tree_class, dtype=np.int64),
            baseline=np.asarray(model._baseline_prediction, dtype=np.float64).reshape(-1),
            classes=np.asarray(model.classes_),
            held_out=held_out,
        )

    def scores(self, x: np.ndarray) -> np.ndarray:
        """(N, K or 1) the raw scores: the starting scores plus every tree's leaf value."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2:
            raise ValueError(f"expected features (N, F), got shape {x.shape}")
        nodes = (self.roots, self.left, self.right, self.feature, self.threshold, self.missing_left)
        leaves = descend(x, *nodes)
        total = np.tile(self.baseline, (len(x), 1))
        for t in range(leaves.shape[1]):  # tree after tree, as scikit-learn adds them
            total[:, self.tree_class[t]] += self.value[leaves[:, t]]
        return total

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """(N, K) class probabilities: the softmax of the scores (a sigmoid for two classes)."""
        s = self.scores(x)
        if s.shape[1] == 1:
            p = 1.0 / (1.0 + np.exp(-s[:, 0]))
            return np.stack([1.0 - p, p], axis=1)
        e = np.exp(s - s.max(axis=1, keepdims=True))
        return np.asarray(e / e.sum(axis=1, keepdims=True))

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The arrays to save, their names under ``prefix``."""
        return prefix_arrays(
            self,
            prefix,
            value=self.value,
            tree_class=self.tree_class,
            baseline=self.baseline,
            held_out=self.held_out_,
        )

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str, classes: list[Any]) -> Boosting:
        """The model saved by :meth:`arrays` under ``prefix``, with its ``classes`` (from the JSON)."""
        saved = read_prefixed(arrays, prefix, "boosting model", ("value", "tree_class", "baseline"))
        return cls(**saved, classes=np.asarray(classes), held_out=arrays.get(f"{prefix}.held_out"))


def fit_boosting(x: np.ndarray, y: np.ndarray, *, folds: int = HELD_OUT_FOLDS, **params: Any) -> Boosting:
    """A ``HistGradientBoostingClassifier(**params)`` fitted on ``x`` (N, F) and labels ``y`` (N,),
    as a :class:`Boosting` holding held-out probabilities.

    The held-out probabilities come from ``folds`` more fits, each on the samples outside one
    stratified fold, scoring the fold; a class absent from a fold's training samples gets
    probability 0 there. Early stopping is off, so every fit runs ``max_iter`` rounds.
    """
    import warnings

    from sklearn.model_selection import StratifiedKFold  # only fitting needs scikit-learn

    params = {"early_stopping": False, **params}
    y = np.asarray(y)
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=0)
    with warnings.catch_warnings():  # a class rarer than the folds is expected, and handled below
        warnings.filterwarnings("ignore", message="The least populated class")
        splits = list(splitter.split(x, y))
    # The full fit and the fold fits are independent: one process each, as many at once as cores.
    fits = [(x, y, None), *((x[inside], y[inside], x[outside]) for inside, outside in splits)]
    fitted = map_ordered(partial(_fit_part, params=params), fits, per_worker=1)
    model = fitted[0][0]
    classes = list(model.classes_)
    held_out = np.zeros((len(x), len(classes)), dtype=np.float64)
    for (part, probabilities), (_, outside) in zip(fitted[1:], splits, strict=True):
        columns = [classes.index(c) for c in part.classes_]
        held_out[np.ix_(outside, columns)] = probabilities
    return Boosting.from_sklearn(model, held_out)


def _fit_part(
    part: tuple[np.ndarray, np.ndarray, np.ndarray | None], params: dict[str, Any]
) -> tuple[Any, np.ndarray | None]:
    """One fit of :func:`fit_boosting` on ``(x, y, scored)``: the model, and its probabilities on
    the ``scored`` rows (None when there are none to score)."""
    from sklearn.ensemble import HistGradientBoostingClassifier

    x, y, scored = part
    model = HistGradientBoostingClassifier(**params).fit(x, y)
    return model, None if scored is None else model.predict_proba(scored)
