"""Conditional synthetic time series: the Synthesizer task, fidelity metrics, classical augmentation.

See :mod:`moesaic.tasks.synth.synthesizer` for the task, :mod:`moesaic.tasks.synth.fidelity` and
:mod:`moesaic.tasks.synth.context_fid` for the TimeGAN / Diffusion-TS scores.
"""

from moesaic.tasks.synth.baseline import GaussianWindows
from moesaic.tasks.synth.conditions import ConditionSpec, condition_windows, parse_condition
from moesaic.tasks.synth.config import DESIGNS, SynthConfig
from moesaic.tasks.synth.context_fid import context_fid
from moesaic.tasks.synth.fidelity import (
    correlational_score,
    discriminative_score,
    memorisation,
    predictive_score,
)
from moesaic.tasks.synth.synthesizer import Samples, Synthesizer

__all__ = [
    "DESIGNS",
    "ConditionSpec",
    "GaussianWindows",
    "Samples",
    "SynthConfig",
    "Synthesizer",
    "condition_windows",
    "context_fid",
    "correlational_score",
    "discriminative_score",
    "memorisation",
    "parse_condition",
    "predictive_score",
]
