"""The settings of the LLaVA-style pipeline of :mod:`moesaic.align.projector`.

:class:`ProjectorConfig` sizes the series encoder, the projector into the language model, the
stage-2 adapters (one of :data:`ADAPTERS`, on LM layers named in :data:`PROJECTIONS`) and
generation.
"""

from __future__ import annotations

from dataclasses import dataclass

from moesaic.config import ConfigError

ADAPTERS = ("lora", "expert")
PROJECTIONS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


@dataclass(frozen=True)
class ProjectorConfig:
    """Sizes of the encoder, projector and adapters.

    Attributes:
        length: T, steps per series.
        patch_len: steps per encoder patch; T must be a multiple.
        dim: D, encoder width.
        encoder_layers: transformer layers mixing the encoder tokens.
        features: F, width of the encoder's output features.
        soft_tokens: K, soft tokens the projector writes into the LM.
        projector_hidden: hidden width of the projector MLP.
        lm_layers: keep the first this many LM layers; None keeps all.
        adapter: stage-2 adapter, one of :data:`ADAPTERS`.
        rank: rank of the LoRA and expert deltas.
        alpha: their scale numerator (scale alpha / rank).
        projections: LM linear layers (last name part) that get LoRA, among :data:`PROJECTIONS`.
            Attention only by default: LoRA as a weight parametrization computes full weight
            gradients, and the MLP's would cost about as much as its forward pass.
        expert_projections: LM linear layers that get a series expert (``adapter="expert"``);
            attention and MLP, as CogVLM's visual expert. Experts are computed as ``x @ A.T @ B.T``,
            so they add little.
        max_new_tokens: generation stops after this many tokens.
        number_tokens: hand the numbers of the encoder's attribute heads to the LM as digit
            embeddings after the soft tokens (:mod:`moesaic.align.number_tokens`).
        copy_numbers: with number tokens, a copy head (pointer-generator) lets the LM's output
            copy their characters (:class:`~moesaic.align.number_tokens.CopyHead`).
        teacher_numbers: with number tokens, in training they hold each series' true numbers
            instead of the heads' (teacher forcing); validation and inference read the heads.
        tune_encoder: train the encoder (and the heads of the number tokens) in stages 1 and 2
            too. Off by default, as LLaVA keeps its pretrained vision encoder frozen: here, tuning
            it through the LM's loss erased what stage 0 taught it (validation caption accuracy
            7 % after 150 stage-2 steps against 45 % after 200 with it frozen, same recipe
            otherwise).
    """

    length: int = 128
    patch_len: int = 16
    dim: int = 64
    encoder_layers: int = 2
    features: int = 256
    soft_tokens: int = 8
    projector_hidden: int = 1024
    lm_layers: int | None = 6
    adapter: str = "lora"
    rank: int = 8
    alpha: float = 16.0
    projections: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    expert_projections: tuple[str, ...] = PROJECTIONS
    max_new_tokens: int = 40
    number_tokens: bool = True
    copy_numbers: bool = True
    teacher_numbers: bool = True
    tune_encoder: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "projections", tuple(self.projections))
        object.__setattr__(self, "expert_projections", tuple(self.expert_projections))
        positive = ("length", "patch_len", "dim", "encoder_layers", "features", "soft_tokens",
                    "projector_hidden", "rank", "max_new_tokens")  # fmt: skip
        problems = [f"`{n}` must be >= 1, got {getattr(self, n)}" for n in positive if getattr(self, n) < 1]
        if self.length % self.patch_len:
            problems.append(f"`length` must be a multiple of patch_len={self.patch_len}, got {self.length}")
        if self.dim % 4:
            problems.append(f"`dim` must be a multiple of 4 (attention heads), got {self.dim}")
        if self.lm_layers is not None and self.lm_layers < 1:
            problems.append(f"`lm_layers` must be >= 1 or None, got {self.lm_layers}")
        if self.adapter not in ADAPTERS:
            problems.append(f"`adapter` must be one of {list(ADAPTERS)}, got {self.adapter!r}")
        for name in ("projections", "expert_projections"):
            chosen = getattr(self, name)
            unknown = [p for p in chosen if p not in PROJECTIONS]
            if unknown or not chosen:
                problems.append(
                    f"`{name}` must be a non-empty subset of {list(PROJECTIONS)}, got {list(chosen)}"
                )
        if problems:
            raise ConfigError(problems)

    @property
    def encoder_tokens(self) -> int:
        """N, encoder tokens per series: the scale token and one per patch."""
        return self.length // self.patch_len + 1
