"""Random forests as plain arrays: predicted without scikit-learn, saved as safetensors + JSON.

scikit-learn fits the forests of the diagnosis (the fault classifier, the moved-channel model);
:class:`Forest` keeps what prediction needs, the nodes of every tree concatenated (children, split
feature and threshold, the side a missing value goes, the class fractions of the node), and
predicts as ``RandomForestClassifier.predict_proba`` does: features read as float32, each
sample sent down each tree to its leaf, the leaves' class fractions summed tree after tree and
divided by the number of trees, so the probabilities are the same bit for bit. Saved, it is a
safetensors file of those arrays beside a JSON file (no pickle), which a report process loads in
milliseconds instead of refitting the forests.

Axes: N samples, F features, K classes, M nodes of all trees, T trees.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import safetensors.numpy

from moesaic.atomic import atomic_directory
from moesaic.trees import descend, stack_trees

if TYPE_CHECKING:
    from sklearn.ensemble import RandomForestClassifier

FORMAT_VERSION = 1


class NodeArrays:
    """The nodes of several trees concatenated (:mod:`moesaic.trees`), checked and typed once:
    ``roots``, ``left``, ``right``, ``feature``, ``threshold``, ``missing_left`` (see
    :data:`NODE_ARRAYS`). Shared by :class:`Forest` and
    :class:`~moesaic.reports.diagnose.boosting.Boosting`."""

    def _set_nodes(
        self,
        what: str,
        nodes: Mapping[str, np.ndarray],
        per_node: Mapping[str, np.ndarray],
        problems: list[str],
    ) -> None:
        """Check ``nodes`` (the :data:`NODE_ARRAYS`) and ``per_node`` arrays (one row per node),
        add the caller's ``problems``, and raise one ValueError naming ``what`` and every problem."""
        roots, left = nodes["roots"], nodes["left"]
        M = len(left)
        others = {k: v for k, v in nodes.items() if k not in ("roots", "left")} | dict(per_node)
        bad = [f"`{n}` has {len(a)} nodes" for n, a in others.items() if len(a) != M]
        if roots.ndim != 1 or not len(roots) or roots.min() < 0 or roots.max() >= M:
            bad.append(f"`roots` must index the {M} nodes, got {roots.tolist()[:5]}")
        bad += problems
        if bad:
            raise ValueError(f"inconsistent {what} arrays (`left` has {M} nodes): {'; '.join(bad)}")
        self.roots, self.left, self.right = (
            roots.astype(np.int64),
            left.astype(np.int64),
            nodes["right"].astype(np.int64),
        )
        self.feature = nodes["feature"].astype(np.int64)
        self.threshold = nodes["threshold"].astype(np.float64)
        self.missing_left = nodes["missing_left"].astype(bool)


class Forest(NodeArrays):
    """The trees of a fitted random forest classifier, as arrays (see the module docstring).

    Attributes:
        classes_: (K,) the class labels, in the order of the probability columns.
        oob_decision_function_: (N_train, K) out-of-bag class probabilities of the training
            samples, or None.
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
        classes: np.ndarray,
        oob: np.ndarray | None = None,
    ) -> None:
        nodes = {"roots": roots, "left": left, "right": right, "feature": feature}
        nodes |= {"threshold": threshold, "missing_left": missing_left}
        problems = []
        if value.ndim != 2 or len(value) != len(left) or value.shape[1] != len(classes):
            problems.append(f"`value` must be ({len(left)}, {len(classes)}), got {value.shape}")
        self._set_nodes("forest", nodes, {}, problems)
        self.value = value.astype(np.float64)
        self.classes_ = classes
        self.oob_decision_function_ = oob

    @classmethod
    def from_sklearn(cls, forest: RandomForestClassifier) -> Forest:
        """The arrays of a fitted single-output ``RandomForestClassifier``."""
        if getattr(forest, "n_outputs_", 1) != 1:
            raise ValueError("only single-output forests are supported")
        roots, left, right = stack_trees(forest.estimators_)
        trees = [estimator.tree_ for estimator in forest.estimators_]
        oob = getattr(forest, "oob_decision_function_", None)
        return cls(
            roots=roots,
            left=left,
            right=right,
            feature=np.concatenate([t.feature for t in trees]),
            threshold=np.concatenate([t.threshold for t in trees]),
            missing_left=np.concatenate([t.missing_go_to_left for t in trees]),
            value=np.concatenate([t.value[:, 0, : len(forest.classes_)] for t in trees]),
            classes=np.asarray(forest.classes_),
            oob=None if oob is None else np.asarray(oob, dtype=np.float64),
        )

    def leaves(self, x: np.ndarray) -> np.ndarray:
        """(N, T) the leaf each sample of ``x`` (N, F) reaches in each tree (read as float32)."""
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 2:
            raise ValueError(f"expected features (N, F), got shape {x.shape}")
        return descend(x, self.roots, self.left, self.right, self.feature, self.threshold, self.missing_left)

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """(N, K) mean over the trees of the class fractions of the leaf each sample reaches."""
        leaves = self.leaves(x)
        total = np.zeros((len(leaves), len(self.classes_)), dtype=np.float64)
        for t in range(leaves.shape[1]):  # tree after tree, as scikit-learn sums them
            total += self.value[leaves[:, t]]
        total /= leaves.shape[1]
        return total

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The arrays to save, their names under ``prefix``."""
        return prefix_arrays(self, prefix, value=self.value, oob=self.oob_decision_function_)

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str, classes: list[Any]) -> Forest:
        """The forest saved by :meth:`arrays` under ``prefix``, with its ``classes`` (from the JSON)."""
        saved = read_prefixed(arrays, prefix, "forest", ("value",))
        return cls(**saved, classes=np.asarray(classes), oob=arrays.get(f"{prefix}.oob"))


NODE_ARRAYS = ("roots", "left", "right", "feature", "threshold", "missing_left")


def prefix_arrays(model: Any, prefix: str, **more: np.ndarray | None) -> dict[str, np.ndarray]:
    """The node arrays (:data:`NODE_ARRAYS`) of a tree model (a :class:`Forest` or a
    :class:`~moesaic.reports.diagnose.boosting.Boosting`) and ``more`` (None left out), named
    ``prefix.name``, ready for :func:`save_state`."""
    out = {name: getattr(model, name) for name in NODE_ARRAYS}
    out["missing_left"] = out["missing_left"].astype(np.uint8)
    out.update({k: v for k, v in more.items() if v is not None})
    return {f"{prefix}.{k}": np.ascontiguousarray(v) for k, v in out.items()}


def read_prefixed(
    arrays: Mapping[str, np.ndarray], prefix: str, what: str, more: tuple[str, ...]
) -> dict[str, np.ndarray]:
    """The node arrays and ``more`` saved by :func:`prefix_arrays` under ``prefix``; a
    ValueError naming the saved ``what`` and the array when one is missing."""
    out = {}
    for name in (*NODE_ARRAYS, *more):
        try:
            out[name] = arrays[f"{prefix}.{name}"]
        except KeyError:
            raise ValueError(f"the saved {what} `{prefix}` has no array `{name}`") from None
    return out


def save_state(folder: Path, arrays: Mapping[str, np.ndarray], config: Mapping[str, Any]) -> None:
    """Write ``state.safetensors`` (the arrays) and ``state.json`` (``config``, the format version
    and the arrays' sha256) into ``folder``, all at once: an interrupted save leaves no folder."""
    data = safetensors.numpy.save(dict(arrays))
    meta = {
        "format_version": FORMAT_VERSION,
        "sha256": hashlib.sha256(data).hexdigest(),
        "config": dict(config),
    }
    with atomic_directory(folder) as tmp:
        (tmp / "state.safetensors").write_bytes(data)
        (tmp / "state.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")


def load_state(folder: Path, *, kind: str, what: str) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The arrays and config written by :func:`save_state`, whose config's ``"kind"`` must be
    ``kind`` (``what`` names it in the error, with its article: "a fault classifier"); a clear
    ValueError naming the file when one is missing, altered, from another format version or of
    another kind."""
    meta_path, data_path = folder / "state.json", folder / "state.safetensors"
    for path in (meta_path, data_path):
        if not path.is_file():
            raise ValueError(f"{path}: missing (expected a state saved by moesaic)")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"{meta_path}: not readable JSON ({err})") from None
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        found = meta.get("format_version") if isinstance(meta, dict) else None
        raise ValueError(f"{meta_path}: format_version {found!r}, expected {FORMAT_VERSION}")
    data = data_path.read_bytes()
    if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
        raise ValueError(f"{data_path}: checksum does not match {meta_path.name} (altered or truncated)")
    config = dict(meta.get("config", {}))
    if config.get("kind") != kind:
        raise ValueError(f"{folder}: holds a {config.get('kind')!r}, not {what}")
    return safetensors.numpy.load(data), config


def fit_forest(x: np.ndarray, y: np.ndarray, **params: Any) -> Forest:
    """A ``RandomForestClassifier(**params)`` fitted on ``x`` (N, F) and labels ``y`` (N,) with
    out-of-bag scores, as a :class:`Forest`.

    It fits on every core: each tree is seeded before it is built, so the trees are the same
    whatever the number of threads. A sample that no tree left out gets NaN out-of-bag
    probabilities (scikit-learn's warning about it is silenced; read them with ``nan_to_num``).
    """
    import warnings

    from sklearn.ensemble import RandomForestClassifier  # only fitting needs scikit-learn

    forest = RandomForestClassifier(oob_score=True, n_jobs=-1, **params)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Some inputs do not have OOB scores")
        forest.fit(x, y)
    return Forest.from_sklearn(forest)
