"""Series as text for a language model, side by side on ETTh1: six families on SmolLM2-135M-Instruct.

Systems (:data:`SYSTEMS`): zero-shot ``llmtime`` (digit strings, median of sampled continuations)
and ``promptcast`` (a question in words through the chat template); trained ``chattime`` (value
tokens added to the vocabulary: new embeddings + LoRA), ``timellm`` (patches reprogrammed onto
text prototypes after a statistics prompt), ``tempo`` (trend / season / residual prompts, LoRA)
and ``gpt4ts`` (frozen layers, trained RMSNorm weights, patch embedding and head). See
:mod:`moesaic.align.series_text` and :mod:`moesaic.align.reprogramming`. Reference rows, always:
``seasonal_naive`` (period 24) and ``dlinear`` (the project's baseline, trained through
:class:`~moesaic.tasks.forecast.Forecaster`).

Protocol: ETTh1's oil temperature ``OT`` alone (univariate), the Informer split (rows 8640 / 2880
/ 2880) standardised with the training rows (:func:`moesaic.data.forecast_windows.split_informer`,
as the ``forecast`` suite), context L=96, horizon H=24. Generating text on two cores costs
seconds per window, so every system is scored on the same ``windows`` test windows evenly spaced
over the 2857 of the test months (quick 16, full 64); MSE and MAE on the standardised scale.
The generators also report ``invalid_fraction``: for ``llmtime`` the share of sampled values that
were malformed or missing (left out of the median), for ``promptcast`` the share of forecast values
the answer did not give; a step without any value takes the forecast of the step before.

The trained systems see the training months only, validate (early stopping) on 32 windows evenly
spaced over the validation months, and all use the same budget: quick 150 steps of 8 windows, full
1000 steps of 16, AdamW at 1e-3. They keep the first :data:`LAYERS` = 4 of SmolLM2's 30 decoder
layers (GPT4TS keeps 6 of GPT-2's 12; 4 keeps a training step near a few seconds on one core).

Costs per system: ``params_total`` (the language model's for the zero-shot systems, else the
parameters the model holds: kept layers, embeddings it reads, trained layers), ``params_active``
(trainable parameters), ``train_seconds``, ``infer_ms_per_window`` (wall time of forecasting the
scored windows, per window) and ``peak_rss_mb`` (the process's peak during that system, reset
before it where Linux allows; the shared language model stays loaded throughout). One torch
thread. Published numbers of these methods use other models, horizons and windows: none is quoted.

Options (``-o KEY=VALUE``, prefixed because the calling suite shares them): ``text_windows``,
``text_samples`` (LLMTime continuations), ``text_steps`` and ``text_batch_size`` (training).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import torch
from torch import nn

from moesaic.align.reprogramming import (
    GPT4TSConfig,
    LMForecaster,
    TEMPOConfig,
    TimeLLMConfig,
    WindowBatch,
    build_model,
    window_batches,
)
from moesaic.align.series_text import (
    ChatTime,
    ChatTimeConfig,
    LLMTime,
    LLMTimeConfig,
    PromptCast,
    ZeroShotForecast,
)
from moesaic.data.forecast_windows import ETTH1_SIZES, ForecastSplit, sliding_windows, split_informer
from moesaic.data.registry import load_dataset
from moesaic.eval.bench import BenchRow, SuiteContext
from moesaic.eval.meters import count_parameters, peak_rss_mb, reset_peak_rss, torch_threads
from moesaic.eval.metrics import mae, mse
from moesaic.tasks.forecast import ForecastConfig, Forecaster
from moesaic.text.language_model import LanguageModel, load_language_model
from moesaic.train import TrainConfig, train

logger = logging.getLogger(__name__)

SYSTEMS = ("llmtime", "promptcast", "chattime", "timellm", "tempo", "gpt4ts")
CONTEXT, HORIZON, CHANNEL, PERIOD = 96, 24, "OT", 24
LAYERS = 4
VAL_WINDOWS = 32
PREFIX = "text_"
OPTIONS = tuple(PREFIX + name for name in ("windows", "samples", "steps", "batch_size"))


class Plan(NamedTuple):
    """Sizes of a run: scored test windows, LLMTime samples, training steps and batch size."""

    windows: int
    samples: int
    steps: int
    batch_size: int


def plan(ctx: SuiteContext) -> Plan:
    """Quick: 16 windows, 4 samples, 150 steps of 8; full: 64 windows, 8 samples, 1000 steps of 16."""
    default = Plan(16, 4, 150, 8) if ctx.quick else Plan(64, 8, 1000, 16)
    # The options are shared with the suite that calls rows(): only the text_* keys are ours.
    unknown = sorted(k for k in ctx.options if k.startswith(PREFIX) and k not in OPTIONS)
    if unknown:
        raise ValueError(
            f"alignment series-text: unknown options {unknown}; valid options are {list(OPTIONS)}"
        )
    values = {}
    for name in Plan._fields:
        raw = ctx.options.get(PREFIX + name)
        if raw is not None and (not raw.isdigit() or int(raw) < 1):
            raise ValueError(
                f"alignment series-text: option {PREFIX}{name} must be an integer >= 1, got {raw!r}"
            )
        values[name] = int(raw) if raw is not None else getattr(default, name)
    return Plan(**values)


class Data(NamedTuple):
    """The univariate split and the scored test windows (standardised, and raw for PromptCast)."""

    split: ForecastSplit  # of OT alone, (T, 1) segments
    context: np.ndarray  # (W, L) standardised
    target: np.ndarray  # (W, H)
    raw_context: np.ndarray  # (W, L) in degrees Celsius
    starts: np.ndarray  # (W,) datetime64 of each context's first step
    setting: str


def load_data(ctx: SuiteContext, num_windows: int) -> Data:
    """ETTh1's OT, split and standardised as the ``forecast`` suite does; ``num_windows`` test windows."""
    series = load_dataset("ett", ctx.data_root()).series[0]
    values = series.values[:, [series.channels.index(CHANNEL)]].astype(np.float64)  # (T, 1)
    split = split_informer(values, context_length=CONTEXT, sizes=ETTH1_SIZES)
    test = sliding_windows(split.test, context_length=CONTEXT, horizon=HORIZON)
    total = len(test.context)
    chosen = np.unique(np.linspace(0, total - 1, min(num_windows, total)).round().astype(int))
    first_row = ETTH1_SIZES.train + ETTH1_SIZES.val - CONTEXT  # the test segment's first row
    return Data(
        split=split,
        context=np.asarray(test.context[chosen, :, 0], dtype=np.float64),
        target=np.asarray(test.target[chosen, :, 0], dtype=np.float64),
        raw_context=np.stack([values[first_row + w : first_row + w + CONTEXT, 0] for w in chosen]),
        starts=series.time[first_row + chosen],
        setting=f"L={CONTEXT},H={HORIZON},windows={len(chosen)},channel={CHANNEL}",
    )


class Scored(NamedTuple):
    """A system's forecasts of the scored windows (standardised) and its costs."""

    forecast: np.ndarray  # (W, H)
    params_total: int
    params_active: int
    train_seconds: float
    infer_seconds: float
    invalid_fraction: float | None = None


def rows(ctx: SuiteContext, systems: Sequence[str]) -> list[BenchRow]:
    """Rows of every system in ``systems`` and of the two references, on the same test windows."""
    bad = sorted(set(systems) - set(SYSTEMS))
    if bad:
        raise ValueError(f"alignment series-text: unknown systems {bad}; valid systems are {list(SYSTEMS)}")
    p = plan(ctx)
    out: list[BenchRow] = []
    with torch_threads(1):
        data = load_data(ctx, p.windows)
        lm = load_language_model() if systems else None
        for system in ["seasonal_naive", "dlinear", *systems]:
            reset_peak_rss()  # each system's own peak
            wall, cpu = time.perf_counter(), time.process_time()
            scored = RUNNERS[system](ctx, p, data, lm)
            logger.info(
                "%s: %.0f s in all (wall), %.0f s of CPU",
                system, time.perf_counter() - wall, time.process_time() - cpu,
            )  # fmt: skip
            out += _rows(system, data, scored, peak_rss_mb())
    return out


def _rows(system: str, data: Data, scored: Scored, peak: float) -> list[BenchRow]:
    costs: dict[str, Any] = {
        "params_total": scored.params_total,
        "params_active": scored.params_active,
        "train_seconds": round(scored.train_seconds, 2),
        "infer_ms_per_window": round(1000 * scored.infer_seconds / len(data.context), 1),
        "peak_rss_mb": round(peak, 1),
    }
    metrics = {"mse": mse(data.target, scored.forecast), "mae": mae(data.target, scored.forecast)}
    if scored.invalid_fraction is not None:
        metrics["invalid_fraction"] = scored.invalid_fraction
    logger.info("%s: %s", system, {k: round(v, 4) for k, v in metrics.items()})
    return [
        BenchRow(system, "etth1", "forecast", data.setting, name, round(float(value), 5), **costs)
        for name, value in metrics.items()
    ]


# ---------------------------------------------------------------- references


def _seasonal_naive(ctx: SuiteContext, p: Plan, data: Data, lm: LanguageModel | None) -> Scored:
    start = time.perf_counter()
    index = CONTEXT - PERIOD + np.arange(HORIZON) % PERIOD
    forecast = data.context[:, index]
    return Scored(forecast, 0, 0, 0.0, time.perf_counter() - start)


def _dlinear(ctx: SuiteContext, p: Plan, data: Data, lm: LanguageModel | None) -> Scored:
    config = ForecastConfig(model="dlinear", context_length=CONTEXT, horizon=HORIZON)
    steps = 300 if ctx.quick else 2000
    train_config = dataclasses.replace(
        config.train, seed=ctx.seed, num_threads=1, max_steps=steps, warmup_steps=steps // 10, lr=5e-3
    )
    forecaster = Forecaster(dataclasses.replace(config, train=train_config))
    forecaster.fit(data.split.train, val=data.split.val)
    start = time.perf_counter()
    forecast = forecaster.predict(data.context[..., None].astype(np.float32)).median[..., 0]
    seconds = time.perf_counter() - start
    count = count_parameters(forecaster.model_)
    return Scored(forecast, count.total, count.active, forecaster.train_seconds_, seconds)


# ---------------------------------------------------------------- zero-shot generators


def _lm_params(lm: LanguageModel) -> int:
    return count_parameters(lm.model).total


def _llmtime(ctx: SuiteContext, p: Plan, data: Data, lm: LanguageModel | None) -> Scored:
    assert lm is not None
    model = LLMTime(lm, LLMTimeConfig(num_samples=p.samples))
    start = time.perf_counter()
    result = model.forecast(data.context, HORIZON, seed=ctx.seed)
    return _zero_shot(result, lm, time.perf_counter() - start)


def _promptcast(ctx: SuiteContext, p: Plan, data: Data, lm: LanguageModel | None) -> Scored:
    assert lm is not None
    scaler = data.split.scaler
    start = time.perf_counter()
    result = PromptCast(lm).forecast(
        data.raw_context, HORIZON, starts=data.starts, step=np.timedelta64(1, "h")
    )
    seconds = time.perf_counter() - start
    standardised = (result.values - scaler.mean_[0]) / scaler.std_[0]
    return _zero_shot(result._replace(values=standardised), lm, seconds)


def _zero_shot(result: ZeroShotForecast, lm: LanguageModel, seconds: float) -> Scored:
    return Scored(result.values, _lm_params(lm), 0, 0.0, seconds, result.invalid_fraction)


# ---------------------------------------------------------------- trained on the training months


def _windows(segment: np.ndarray, count: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """(N, L) contexts and (N, H) targets of a (T, 1) segment; ``count`` evenly spaced ones or all."""
    windows = sliding_windows(segment, context_length=CONTEXT, horizon=HORIZON)
    index = np.arange(len(windows.context))
    if count is not None:
        index = np.unique(np.linspace(0, len(index) - 1, count).round().astype(int))
    context = torch.from_numpy(np.ascontiguousarray(windows.context[index, :, 0], dtype=np.float32))
    return context, torch.from_numpy(np.ascontiguousarray(windows.target[index, :, 0], dtype=np.float32))


def _fit(model: nn.Module, p: Plan, data: Data, seed: int, make_batch: Callable[[WindowBatch], Any]) -> float:
    """Train ``model`` on the training windows with early stopping; returns the wall time."""
    context, target = _windows(data.split.train)
    val_context, val_target = _windows(data.split.val, VAL_WINDOWS)
    val = [make_batch(b) for b in window_batches(val_context, val_target, batch_size=p.batch_size)]

    def source(epoch: int, generator: torch.Generator) -> Any:
        return (
            make_batch(b)
            for b in window_batches(context, target, batch_size=p.batch_size, generator=generator)
        )

    config = TrainConfig(
        lr=1e-3, weight_decay=0.01, warmup_steps=p.steps // 10, max_steps=p.steps, batch_size=p.batch_size,
        eval_every=max(1, p.steps // 3), patience=3, seed=seed, num_threads=1, checkpoint_every=10**9,
        log_every=max(1, p.steps // 10),
    )  # fmt: skip
    start = time.perf_counter()
    train(model, source, config=config, val_batches=val)
    return time.perf_counter() - start


def _trained(
    model: nn.Module, train_seconds: float, predict: Callable[[np.ndarray], np.ndarray], data: Data
) -> Scored:
    start = time.perf_counter()
    forecast = predict(data.context)
    seconds = time.perf_counter() - start
    count = count_parameters(model)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return Scored(np.asarray(forecast, dtype=np.float64), count.total, trainable, train_seconds, seconds)


def _reprogramming(
    kind: str, config: Any
) -> Callable[[SuiteContext, Plan, Data, LanguageModel | None], Scored]:
    def run(ctx: SuiteContext, p: Plan, data: Data, lm: LanguageModel | None) -> Scored:
        assert lm is not None
        torch.manual_seed(ctx.seed)
        model: LMForecaster = build_model(kind, config, lm)
        seconds = _fit(model, p, data, ctx.seed, lambda batch: batch)
        return _trained(model, seconds, model.predict, data)

    return run


def _chattime(ctx: SuiteContext, p: Plan, data: Data, lm: LanguageModel | None) -> Scored:
    assert lm is not None
    torch.manual_seed(ctx.seed)
    model = ChatTime(ChatTimeConfig(context_length=CONTEXT, horizon=HORIZON, num_layers=LAYERS), lm)
    seconds = _fit(model, p, data, ctx.seed, lambda b: model.token_batch(b.context.numpy(), b.target.numpy()))
    return _trained(model, seconds, model.predict, data)


RUNNERS: dict[str, Callable[[SuiteContext, Plan, Data, LanguageModel | None], Scored]] = {
    "seasonal_naive": _seasonal_naive,
    "dlinear": _dlinear,
    "llmtime": _llmtime,
    "promptcast": _promptcast,
    "chattime": _chattime,
    "timellm": _reprogramming(
        "timellm", TimeLLMConfig(context_length=CONTEXT, horizon=HORIZON, num_layers=LAYERS)
    ),
    "tempo": _reprogramming(
        "tempo", TEMPOConfig(context_length=CONTEXT, horizon=HORIZON, num_layers=LAYERS, period=PERIOD)
    ),
    "gpt4ts": _reprogramming(
        "gpt4ts", GPT4TSConfig(context_length=CONTEXT, horizon=HORIZON, num_layers=LAYERS)
    ),
}
