"""Settings of the :class:`~moesaic.tasks.synth.synthesizer.Synthesizer` (a frozen dataclass)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from moesaic.config import ConfigError
from moesaic.encoders import EncoderConfig
from moesaic.knowledge.embed import EMBEDDERS
from moesaic.model import ModelConfig
from moesaic.moe import MoEConfig
from moesaic.tasks.synth.calibration import SCOPES
from moesaic.train import TrainConfig

DESIGNS = ("flow", "vae")
CALIBRATIONS = ("auto", *SCOPES, "none")


def _default_model() -> ModelConfig:
    encoders = EncoderConfig(dim=32, modalities=("tabular",))
    return ModelConfig(
        encoders=encoders, moe=MoEConfig(num_experts=4, top_k=2, expert_hidden=64), num_layers=2
    )


def _default_train() -> TrainConfig:
    # One thread: on a shared CPU more threads oversubscribe the cores and run several times slower.
    return TrainConfig(
        lr=2e-3, warmup_steps=100, max_steps=3000, batch_size=128, eval_every=250, patience=4, num_threads=1
    )


@dataclass(frozen=True)
class SynthConfig:
    """Settings of :class:`Synthesizer`.

    Attributes:
        design: one of :data:`DESIGNS`: ``"flow"`` (flow matching, ``steps`` evaluations per
            sample) or ``"vae"`` (conditional VAE, one evaluation per sample).
        steps: Euler steps of the flow design (its network evaluations per sample).
        grid_power: the flow design's Euler steps start at flow times ``(i / steps) ** grid_power``;
            above 1 they are packed near the noise end (see :class:`.generators.SeriesFlow`).
        patch_len: steps per token; the window length must be a multiple of it.
        latent: latent width of the VAE design.
        calibration: ``"auto"``, ``"window"``, ``"channel"`` or ``"none"``: after training, the
            samples are moved by the affine map that gives them the training windows' mean and
            covariance (:mod:`.calibration`), over whole windows or per time step; ``auto`` takes
            the widest scope the number of complete training windows allows.
        rare_windows: a categorical value with fewer training windows than this, and a value
            in a combination never seen in training, is sampled as a sample of its factor's
            most frequent value plus the departure of one of its own windows from that value's
            mean (:mod:`.transfer`), when the most frequent value has at least this many
            windows; 0 samples everything from the generator alone.
        condition_dropout: probability of masking each factor (and the text) in training, for
            unconditional sampling and unseen combinations.
        text_embedder: how the texts of a model fitted with ``texts`` are embedded (frozen):
            ``hashing`` (words and character trigrams, no extra; spelling variants and typos
            land near each other), ``minilm`` (the sentence encoder of the ``language`` extra;
            paraphrases land near each other), ``auto`` (MiniLM when installed), or
            ``hashing-<dim>``.
        val_fraction: share of the training windows held out for early stopping.
        model: the trunk; ``fit`` sets the table sizes from the conditions.
        train: optimisation settings; ``train.seed`` also draws the validation windows.
    """

    design: str = "flow"
    steps: int = 10
    grid_power: float = 2.0
    patch_len: int = 4
    latent: int = 16
    calibration: str = "auto"
    rare_windows: int = 32
    condition_dropout: float = 0.2
    text_embedder: str = "hashing"
    val_fraction: float = 0.1
    model: ModelConfig = field(default_factory=_default_model)
    train: TrainConfig = field(default_factory=_default_train)

    def __post_init__(self) -> None:
        checks = [
            ("design", self.design in DESIGNS, f"one of {list(DESIGNS)}"),
            ("steps", self.steps >= 1, ">= 1"),
            ("grid_power", self.grid_power > 0, "> 0"),
            ("latent", self.latent >= 1, ">= 1"),
            ("calibration", self.calibration in CALIBRATIONS, f"one of {list(CALIBRATIONS)}"),
            ("patch_len", self.patch_len >= 1, ">= 1"),
            ("rare_windows", self.rare_windows >= 0, ">= 0"),
            ("condition_dropout", 0 <= self.condition_dropout < 1, "in [0, 1)"),
            ("val_fraction", 0 <= self.val_fraction < 1, "in [0, 1)"),
            (
                "text_embedder",
                self.text_embedder in EMBEDDERS or re.fullmatch(r"hashing-\d+", self.text_embedder),
                f"one of {list(EMBEDDERS)} or 'hashing-<dim>'",
            ),
        ]
        problems = [f"`{n}` must be {rule}, got {getattr(self, n)!r}" for n, ok, rule in checks if not ok]
        if problems:
            raise ConfigError(problems)
