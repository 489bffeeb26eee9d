"""Suite ``rul``: C-MAPSS FD001 remaining useful life, the sparse backbone beside live baselines.

Protocol (Li, Ding & Sun 2018 and most of the literature): windows of the informative sensors
(selected, like the scaling, on the training engines only), the piecewise-linear target
``min(RUL, 125)``, 20 % of the training engines held out whole for early stopping, and the score on
the last window of each of the 100 official test engines against ``RUL_FD001.txt``.

Settings: ``window=30`` is the window of the literature; ``window=50`` gives every system a longer
history. Training windows end at the 30th cycle or later either way (the shortest test engine has
31 cycles); shorter histories are padded at the start, masked for moesaic, zeros for the
baselines. ``truth=raw`` compares with RUL_FD001 as given (11 engines have a true RUL above the
cap, which no capped model can reach: RMSE >= 3.74 from them alone); ``truth=capped`` caps the
true RUL at 125 too, as many papers do.

Systems, all on the same channels, scaling, windows, validation engines and training settings:

- ``moesaic``: :class:`moesaic.tasks.rul.RULEstimator`: the backbone (one token per channel holding
  its whole window, plus the table of channel means and standard deviations and the engine's age,
  the cycles recorded so far; 2 blocks of 4 experts, 2 active) and a regression head; one model
  (seed ``--seed``), scored on the last window. Every C-MAPSS record starts at the engine's first
  cycle, so the age is known at test time too; it was adopted by a rule declared beforehand (lower
  mean RMSE on the validation engines over seeds 0 and 1 with window 50: 9.57 against 9.85);
- ``moesaic-ensemble``: the same estimator averaging ``members`` models (seeds ``--seed``,
  ``--seed + 1``, ...; the first is the ``moesaic`` model, so both rows come from one fit), the
  ``snapshots`` best validation weights of each, and the last ``smooth`` windows of each test
  engine, each earlier prediction shifted by its lag (:mod:`moesaic.tasks.rul_ensemble`; it uses
  only the engine's own past readings). Nothing is chosen on the test engines: the number of
  trailing windows is chosen by the estimator on its validation engines (``smooth=0``), the
  number of models is what the time budget of the quick suite allows;
- ``ridge``: ridge regression on the flattened last window (T x C features), its penalty chosen
  on the validation engines;
- ``cnn``: a small convolutional network after Li et al. (2018) (convolutions along time shared by
  all sensors), trained by the same loop with the same early stopping;
- ``published:`` rows quoted from the papers (their own runs, not re-run here), with ``window=30``.

Costs: ``train_seconds`` covers fitting (data preparation, model selection, training);
``infer_ms_per_window`` is the median time to predict all 100 test engines, divided by 100;
``peak_rss_mb`` is the process peak so far (so it only grows along the suite).

Options (``-o KEY=VALUE``): ``windows=30,50`` the windows to run (quick: 50 only), ``steps=N``
training steps of the neural systems, ``threads=N`` torch threads (default 2), ``members=N``,
``snapshots=N`` and ``smooth=N`` of ``moesaic-ensemble`` (defaults: :func:`protocol` and
:data:`ENSEMBLE`, where smooth=0 lets the estimator choose among
:data:`moesaic.tasks.rul.SMOOTH_CHOICES` on its validation engines; members=1, snapshots=1,
smooth=1 drops the row), ``baselines=no`` to run the moesaic rows only, ``age=no`` to leave the
engine's age out of the moesaic systems (their setting then ends in ``,age=no``).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.linear_model import Ridge
from torch import Tensor, nn

from moesaic.data.batch import Batch
from moesaic.data.registry import load_dataset
from moesaic.data.schema import Series
from moesaic.eval.bench import BenchRow, OptionError, SuiteContext, register_suite
from moesaic.eval.meters import Stopwatch, count_parameters, measure_latency, peak_rss_mb, torch_threads
from moesaic.eval.metrics import nasa_score, rmse
from moesaic.tasks.rul import RULConfig, RULEstimator, RULWindows, rul_batches, split_series
from moesaic.tasks.rul_ensemble import RegressorMean
from moesaic.train import LossOutput, TrainConfig, train

logger = logging.getLogger(__name__)

DATASET = "cmapss_fd001"
TASK = "rul"
PUBLISHED_WINDOW = 30
RUL_CAP = 125.0
RIDGE_ALPHAS = (0.01, 0.1, 1.0, 10.0, 100.0)
SETTINGS = {"truth=raw": False, "truth=capped": True}  # setting suffix -> cap the true RUL
# moesaic-ensemble (its models: Protocol.members): best snapshots per model, trailing windows
# (0: chosen by the estimator on its validation engines).
ENSEMBLE = {"snapshots": 1, "smooth": 0}

# (system, RMSE, score, source); the numbers of the papers' FD001 tables.
PUBLISHED = (
    ("cnn", 12.61, 273.7, "published: Li, Ding & Sun 2018, Reliab. Eng. Syst. Saf. 172 (DCNN), FD001"),
    ("lstm", 16.14, 338.0, "published: Zheng et al. 2017, IEEE ICPHM (LSTM), FD001; own window and cap"),
    ("cnn-babu", 18.45, 1286.7, "published: Babu, Zhao & Li 2016, DASFAA (CNN), FD001; own window and cap"),
)


class Protocol(NamedTuple):
    windows: tuple[int, ...]
    steps: int
    eval_every: int
    patience: int
    members: int  # models of moesaic-ensemble


def protocol(quick: bool) -> Protocol:
    """Quick: window 50, 1000 steps, 2 models (about 10 CPU minutes in all with one thread, each
    model about 3); full: windows 30 and 50, 1500 steps, 3 models; validation every 50 steps."""
    return Protocol((50,), 1000, 50, 10, 2) if quick else Protocol((30, 50), 1500, 50, 10, 3)


class SystemResult(NamedTuple):
    system: str
    predictions: np.ndarray  # (100,) RUL after the last test cycle
    params_total: int
    params_active: int
    train_seconds: float
    infer_ms_per_window: float
    peak_rss_mb: float  # of the process, right after this system


class CNNRegressor(nn.Module):
    """A window (B, T, C) as a one-channel T x C image, convolved along time only, after Li et al. (2018).

    Four convolutions of 10 filters of 9 x 1 (the paper's 10 x 1, made odd so that 'same' padding is
    symmetric), one of 1 filter of 3 x 1, tanh after each, then dropout, a dense layer of 100 and
    the output: (B,) RUL / cap. ``loss`` is the MSE against ``batch.targets["rul"]``.
    """

    def __init__(self, *, window: int, channels: int, filters: int = 10, kernel: int = 9) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = 1
        for _ in range(4):
            layers += [nn.Conv2d(width, filters, (kernel, 1), padding=(kernel // 2, 0)), nn.Tanh()]
            width = filters
        layers += [nn.Conv2d(width, 1, (3, 1), padding=(1, 0)), nn.Tanh(), nn.Flatten(), nn.Dropout(0.5)]
        layers += [nn.Linear(window * channels, 100), nn.Tanh(), nn.Linear(100, 1)]
        self.net = nn.Sequential(*layers)

    def forward(self, batch: Batch) -> Tensor:
        assert batch.series is not None
        return self.net(batch.series.unsqueeze(1)).squeeze(-1)  # (B, 1, T, C) -> (B,)

    def loss(self, batch: Batch) -> LossOutput:
        task = F.mse_loss(self(batch), batch.targets["rul"])
        return LossOutput(task, {"task": task.detach()})


def _train_config(plan: Protocol, ctx: SuiteContext, threads: int) -> TrainConfig:
    steps = ctx.integer("steps", plan.steps)
    return TrainConfig(
        lr=1e-3, warmup_steps=min(100, steps // 10), max_steps=steps, batch_size=128,
        eval_every=min(plan.eval_every, steps), patience=plan.patience, seed=ctx.seed, num_threads=threads,
        log_every=plan.eval_every, checkpoint_every=steps,
    )  # fmt: skip


def _windows_option(text: str) -> tuple[int, ...]:
    try:
        windows = tuple(int(w) for w in text.split(","))
    except ValueError:
        windows = ()
    if not windows or min(windows) < 1:
        raise OptionError(
            f"option windows={text!r}: expected positive integers separated by commas, e.g. 30,50"
        )
    return windows


def _ensemble_options(options: Mapping[str, str], members: int) -> dict[str, int]:
    """``members``, ``snapshots`` and ``smooth`` from the options, else ``members`` and :data:`ENSEMBLE`."""
    chosen = {}
    for key, default in {"members": members, **ENSEMBLE}.items():
        text = options.get(key, str(default))
        lowest = 0 if key == "smooth" else 1
        if not text.isdigit() or int(text) < lowest:
            raise OptionError(f"option {key}={text!r}: expected an integer >= {lowest}")
        chosen[key] = int(text)
    return chosen


def _rul_config(
    window: int, train_config: TrainConfig, ensemble: Mapping[str, int] | None = None, *, age: bool = True
) -> RULConfig:
    """The estimator's defaults with one token per channel holding the whole window, the engine's
    ``age`` and ``ensemble``."""
    chosen = {
        "members": 1,
        "snapshots": 1,
        "smooth": 1,
        **(ensemble or {}),
    }  # default: one model, last window
    base = RULConfig(
        window=window, rul_cap=RUL_CAP, train=train_config,
        members=chosen["members"], snapshots=chosen["snapshots"], smooth=chosen["smooth"], age=age,
    )  # fmt: skip
    encoders = dataclasses.replace(base.model.encoders, patch_len=window)
    return dataclasses.replace(base, model=dataclasses.replace(base.model, encoders=encoders))


def _yes_no(options: Mapping[str, str], key: str) -> bool:
    """Option ``key`` as ``yes`` (the default) or ``no``."""
    text = options.get(key, "yes")
    if text not in ("yes", "no"):
        raise OptionError(f"option {key}={text!r}: expected yes or no")
    return text == "yes"


def _latency_ms(call: Callable[[], object], count: int) -> float:
    return measure_latency(call, repeats=10, warmup=1).p50_ms / count


def run_moesaic(
    train_series: list[Series], test: list[Series], config: RULConfig
) -> tuple[list[SystemResult], RULEstimator]:
    """Fit and time the RUL estimator: ``moesaic`` (its first model), then ``moesaic-ensemble``
    unless the config averages nothing; also returns the estimator, for the baselines to share its
    preparation."""
    with Stopwatch() as watch:
        estimator = RULEstimator(config).fit(train_series)
    others = sum(r.seconds for r in estimator.train_results_[1:])  # training of the other members
    model = estimator.model_
    first = model.members[0] if isinstance(model, RegressorMean) else model
    params = count_parameters(first)

    def predict_first() -> np.ndarray:
        windows = estimator.windows(test, labelled=False, last_only=True)
        with torch.no_grad():
            fraction = first(estimator.batches(windows, len(test))[0])
        return fraction.clamp(0.0, 1.0).double().numpy() * RUL_CAP

    latency = _latency_ms(predict_first, len(test))
    results = [SystemResult("moesaic", predict_first(), params.total, params.active,
                            watch.seconds - others, latency, peak_rss_mb())]  # fmt: skip
    if (config.members, config.snapshots, config.smooth) != (1, 1, 1):
        params = count_parameters(model)
        latency = _latency_ms(lambda: estimator.predict(test), len(test))
        results.append(SystemResult("moesaic-ensemble", estimator.predict(test), params.total,
                                    params.active, watch.seconds, latency, peak_rss_mb()))  # fmt: skip
    return results, estimator


def run_ridge(
    estimator: RULEstimator, parts: tuple[list[Series], list[Series]], test: list[Series]
) -> SystemResult:
    """Ridge on the flattened last window; the penalty with the lowest validation RMSE wins."""
    fit_part, val_part = parts

    def features(windows: RULWindows) -> np.ndarray:
        return windows.series.flatten(1).numpy().astype(np.float64)  # (W, T * C)

    with Stopwatch() as watch:
        train_w = estimator.windows(fit_part, labelled=True)
        val_w = estimator.windows(val_part, labelled=True)
        x, y, x_val = features(train_w), train_w.rul.numpy(), features(val_w)
        scores = {a: rmse(val_w.rul.numpy(), Ridge(alpha=a).fit(x, y).predict(x_val)) for a in RIDGE_ALPHAS}
        alpha = min(scores, key=scores.__getitem__)
        model = Ridge(alpha=alpha).fit(x, y)
    logger.info("ridge: alpha %s (validation RMSE %s)", alpha, {a: round(s, 2) for a, s in scores.items()})

    def predict() -> np.ndarray:
        last = features(estimator.windows(test, labelled=False, last_only=True))
        return np.clip(model.predict(last), 0.0, RUL_CAP)

    size = int(model.coef_.size) + 1
    latency = _latency_ms(predict, len(test))
    return SystemResult("ridge", predict(), size, size, watch.seconds, latency, peak_rss_mb())


def run_cnn(
    estimator: RULEstimator, parts: tuple[list[Series], list[Series]], test: list[Series], config: TrainConfig
) -> SystemResult:
    """The CNN baseline on the estimator's windows, trained by the same loop and early stopping."""
    fit_part, val_part = parts
    with Stopwatch() as watch:
        train_w = estimator.windows(fit_part, labelled=True)
        val = rul_batches(estimator.windows(val_part, labelled=True), 1024, rul_cap=RUL_CAP, levels=False)

        def source(epoch: int, generator: torch.Generator) -> list[Batch]:
            return rul_batches(train_w, config.batch_size, rul_cap=RUL_CAP, levels=False, generator=generator)

        torch.manual_seed(config.seed)
        model = CNNRegressor(window=estimator.config.window, channels=len(estimator.channels_))
        train(model, source, config=config, val_batches=val)
    model.eval()

    def predict() -> np.ndarray:
        windows = estimator.windows(test, labelled=False, last_only=True)
        with torch.no_grad():
            fraction = model(rul_batches(windows, len(test), rul_cap=RUL_CAP, levels=False)[0])
        return fraction.clamp(0.0, 1.0).double().numpy() * RUL_CAP

    params = count_parameters(model)
    latency = _latency_ms(predict, len(test))
    return SystemResult("cnn", predict(), params.total, params.active, watch.seconds, latency, peak_rss_mb())


def result_rows(result: SystemResult, truth: np.ndarray, window: int, extra: str = "") -> list[BenchRow]:
    """rmse and nasa_score of one system in both settings (each followed by ``extra``), with its costs."""
    cost: dict[str, Any] = {
        "params_total": result.params_total,
        "params_active": result.params_active,
        "train_seconds": round(result.train_seconds, 2),
        "infer_ms_per_window": round(result.infer_ms_per_window, 4),
        "peak_rss_mb": round(result.peak_rss_mb, 1),
    }
    rows = []
    for suffix, cap in SETTINGS.items():
        target = np.minimum(truth, RUL_CAP) if cap else truth
        setting = f"window={window},cap={RUL_CAP:g},{suffix}{extra}"
        for metric, fn in (("rmse", rmse), ("nasa_score", nasa_score)):
            value = round(fn(target, result.predictions), 4)
            rows.append(BenchRow(system=result.system, dataset=DATASET, task=TASK, setting=setting,
                                 metric=metric, value=value, **cost))  # fmt: skip
    return rows


def published_rows() -> list[BenchRow]:
    setting = f"window={PUBLISHED_WINDOW},cap={RUL_CAP:g},truth=raw"
    return [
        BenchRow(
            system=system,
            dataset=DATASET,
            task=TASK,
            setting=setting,
            metric=metric,
            value=value,
            source=source,
        )
        for system, rmse_value, score, source in PUBLISHED
        for metric, value in (("rmse", rmse_value), ("nasa_score", score))
    ]


@register_suite(
    "rul",
    "C-MAPSS FD001 remaining useful life (RMSE, NASA score): moesaic vs ridge and CNN",
    options=("windows", "baselines", "age", "steps", "threads", "members", *ENSEMBLE),
)
def run(ctx: SuiteContext) -> list[BenchRow]:
    data = load_dataset(DATASET, ctx.data_root())
    train_series = [s for s in data.series if s.meta.get("split") == "train"]
    test = [s for s in data.series if s.meta.get("split") == "test"]
    truth = np.array([float(s.meta["rul_at_end"]) for s in test])
    threads = ctx.integer("threads", 2)
    plan = protocol(ctx.quick)
    windows = _windows_option(ctx.options["windows"]) if "windows" in ctx.options else plan.windows
    train_config = _train_config(plan, ctx, threads)
    ensemble = _ensemble_options(ctx.options, plan.members)
    baselines = _yes_no(ctx.options, "baselines")
    age = _yes_no(ctx.options, "age")
    parts = split_series(train_series, val_fraction=RULConfig().val_fraction, seed=train_config.seed)
    rows: list[BenchRow] = []
    with torch_threads(threads):
        for window in ctx.progress(windows, "RUL windows", total=len(windows)):
            config = _rul_config(window, train_config, ensemble, age=age)
            results, estimator = run_moesaic(train_series, test, config)
            scores = ", ".join(f"{r.system} {rmse(truth, r.predictions):.2f}" for r in results)
            logger.info("window %d: test RMSE (raw truth) %s; trailing windows averaged: %d",
                        window, scores, estimator.smooth_)  # fmt: skip
            if baselines:
                results += [run_ridge(estimator, parts, test), run_cnn(estimator, parts, test, train_config)]
            for result in results:
                logger.info("window %d, %s: test RMSE %.2f (raw truth)", window, result.system,
                            rmse(truth, result.predictions))  # fmt: skip
                moesaic = result.system.startswith("moesaic")
                rows += result_rows(result, truth, window, "" if age or not moesaic else ",age=no")
    return rows + published_rows()
