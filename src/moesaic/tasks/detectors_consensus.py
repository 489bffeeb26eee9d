"""``ConsensusDetector``: an alarm only where every detector of a panel sees a departure.

Each member (by default the backbone detector, the forecast residual of a ridge autoregression and
the per-channel z-score) is fitted on the same training rows with the consensus's smoothing and
quantile, and its score is divided by its own calibration quantile, so that 1 means "as high as
the top ``1 - quantile`` of normal rows" for every member. The consensus score of a step is the
smallest of these: it is high only where all members see a departure, so a false alarm needs
every member to be wrong at once, while a real fault usually moves all of them. The threshold is
the calibration quantile of the consensus score times ``factor``; a step's contributions are
those of the member that set its score, on the same scale. Axes: T steps, C channels, M members.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

import numpy as np

from moesaic.config import ConfigError, from_dict
from moesaic.errors import CheckpointError
from moesaic.eval.metrics import threshold_from_scores
from moesaic.tasks.anomaly import AnomalyConfig, AnomalyDetector
from moesaic.tasks.detectors import CLASSICAL, BaseDetector, Scores, ScoringConfig, configure
from moesaic.tasks.detectors_pipeline import settled

if TYPE_CHECKING:
    import torch
    from torch import nn

    from moesaic.heads.anomaly import AnomalyModel

MEMBERS: dict[str, type[BaseDetector]] = {"moesaic": AnomalyDetector, **CLASSICAL}
"""The detectors a consensus can hold, by name."""

_MIN_UNIT = 1e-12


@dataclass(frozen=True)
class ConsensusConfig(ScoringConfig):
    """Settings of :class:`ConsensusDetector` (the scoring fields are those of ScoringConfig).

    Attributes:
        members: names of the member detectors (keys of :data:`MEMBERS`), at least two.
        backbone: the config of the ``moesaic`` member; its scoring fields are replaced by the
            consensus's ``smooth``, ``quantile`` and ``seed``, as every member's are.
    """

    members: tuple[str, ...] = ("moesaic", "ar", "zscore")
    backbone: AnomalyConfig = field(default_factory=AnomalyConfig)

    def _problems(self) -> list[str]:
        problems = super()._problems()
        unknown = sorted(set(self.members) - set(MEMBERS))
        if unknown:
            problems.append(f"`members`: unknown detectors {unknown}; choose among {sorted(MEMBERS)}")
        if len(set(self.members)) < 2 or len(set(self.members)) != len(self.members):
            problems.append(f"`members` must name at least two distinct detectors, got {list(self.members)}")
        return problems


class ConsensusDetector(BaseDetector):
    """The smallest of the member detectors' scores, each in units of its own calibration quantile.

    Learned state: ``members_`` (name -> fitted detector), ``channels_`` and ``threshold_``.
    """

    name: ClassVar[str] = "consensus"
    memorises: ClassVar[bool] = True
    config_class: ClassVar[type[ScoringConfig]] = ConsensusConfig
    config: ConsensusConfig

    def __init__(
        self, config: ConsensusConfig | None = None, *, pretrained: AnomalyModel | None = None
    ) -> None:
        """``pretrained``: a model from :func:`moesaic.tasks.anomaly.pretrain_anomaly_model` for the
        ``moesaic`` member (pretrained with ``config.backbone``), fine-tuned by ``fit``."""
        super().__init__(config)
        self.pretrained = pretrained

    def fit(self, train: Any, *, validation: Any = None, channels: Sequence[str] | None = None) -> Self:
        """Fit every member on ``train`` (calibrated on ``validation`` when given), then the threshold."""
        cfg = self.config
        members = {name: self._member(name) for name in cfg.members}
        for member in members.values():
            member.fit(train, validation=validation, channels=channels)
        self.members_ = members
        self.channels_ = next(iter(members.values())).channels_
        calibration = self.score(train if validation is None else validation).score
        calibration = calibration[settled(len(calibration), cfg.smooth)]
        self.threshold_ = float(threshold_from_scores(calibration, quantile=cfg.quantile) * cfg.factor)
        return self

    def score(self, values: Any) -> Scores:
        """Scores (T,) and the deciding member's contributions (T, C), in calibration-quantile units."""
        if not hasattr(self, "members_"):
            self._check_fitted()  # raises: not fitted
        parts = [(member.score(values), _unit(member)) for member in self.members_.values()]
        scores = np.stack([s.score / unit for s, unit in parts])  # (M, T)
        deciding = np.argmin(scores, axis=0)  # (T,)
        steps = np.arange(scores.shape[1])
        contributions = np.stack([s.contributions / unit for s, unit in parts])[deciding, steps]  # (T, C)
        return Scores(scores[deciding, steps], contributions)

    def parameter_count(self) -> tuple[int, int]:
        """(total, active per step) over every member."""
        self._check_fitted()
        counts = [member.parameter_count() for member in self.members_.values()]
        return sum(total for total, _ in counts), sum(active for _, active in counts)

    def _member(self, name: str) -> BaseDetector:
        cfg = self.config
        shared: dict[str, Any] = {
            "smooth": cfg.smooth,
            "quantile": cfg.quantile,
            "seed": cfg.seed,
            "factor": 1.0,
            "min_run": 1,
        }
        if name == "moesaic":
            return AnomalyDetector(dataclasses.replace(cfg.backbone, **shared), pretrained=self.pretrained)
        return MEMBERS[name](configure(MEMBERS[name], **shared))

    def _bag(self) -> nn.Module:
        import torch

        bag = torch.nn.Module()
        for name, member in self.members_.items():
            bag.add_module(name, member._bag())
        return bag

    def _extra_config(self) -> dict[str, Any]:
        return {"members": {name: member._document() for name, member in self.members_.items()}}

    @classmethod
    def _rebuild(cls, saved: dict[str, Any], state_dict: dict[str, torch.Tensor], folder: Path) -> Self:
        try:
            detector = cls(from_dict(ConsensusConfig, saved["config"]))
            members = {}
            for name in detector.config.members:
                prefix = f"{name}."
                state = {k[len(prefix) :]: v for k, v in state_dict.items() if k.startswith(prefix)}
                members[name] = MEMBERS[name]._rebuild(saved["members"][name], state, folder)
            detector.members_ = members
            detector.channels_ = tuple(saved["channels"])
            detector.threshold_ = float(saved["threshold"])
        except (ConfigError, KeyError, TypeError, ValueError) as err:
            raise CheckpointError(f"{folder}: cannot rebuild the ConsensusDetector ({err})") from err
        return detector


def _unit(member: BaseDetector) -> float:
    """The member's calibration quantile: its threshold before the factor."""
    return max(member.threshold_ / member.config.factor, _MIN_UNIT)
