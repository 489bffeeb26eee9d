"""Suite ``alignment``: the series-text alignment families side by side.

``-o systems=a,b`` picks systems (default: all of :data:`SYSTEMS`); rows of the project's own
options are named ``moesaic-<name>`` (``moesaic-clip``, ``moesaic-llava``, ...), the series-as-text
language-model baselines keep their plain names. CLIP is measured here; the
other families live in their own modules (:data:`FAMILIES`), each with its protocol in its
docstring: VisualBERT and BLIP in ``alignment_joint``, the LLaVA / CogVLM projectors into SmolLM2
in ``alignment_llava``, the series-as-text language-model baselines in ``alignment_series_text``.

CLIP protocol:

1. ``synthetic``: windows of the 52 TEP channel names with 0-2 injected events and their captions
   (:mod:`moesaic.align.captions`); separate seeds for training, validation (early stopping) and
   test pairs. Metrics on the test pairs: text-to-series ``recall@1`` and ``recall@5`` over the test
   pairs with distinct captions (chance k / N), and ``kind_accuracy``: for single-event windows,
   the nearest of the 7 captions "<kind> in <the true channel>" (chance 1/7).
2. ``tep`` zero-shot: ``moesaic-clip`` is the model trained on synthetic captions only; each TEP
   test window goes to the nearest fault description (:mod:`moesaic.align.tep`, written from the
   documented fault list). Classes: normal + the 16 documented faults (IDV 16-20 are "unknown" and
   have no description). Settings: ``windows=after-onset``, every non-overlapping window after the
   onset (sample 161) of each test run; ``windows=at-onset``, windows whose onset falls 25-60 %
   into the window, as in the synthetic captions. Normal windows come from the normal test run at
   the same positions.
3. Against: ``chance`` (uniform guessing: accuracy and expected macro-F1 1/17), ``random-forest``
   (supervised on per-channel window statistics of the TEP training runs), and
   ``moesaic-clip-tuned``: the CLIP model further trained on TEP training windows paired with the
   descriptions of their fault (supervised, so not zero-shot).

Costs: ``train_seconds`` is the fitting of that system (for the tuned model: only its TEP stage);
``infer_ms_per_window`` the median time to embed/classify all windows of a setting, per window;
``peak_rss_mb`` the process peak so far. Options (``-o KEY=VALUE``): ``steps=N``, ``tune_steps=N``,
``threads=N`` (default 1).
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import logging
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import torch
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import f1_score

from moesaic.align.captions import EVENT_KINDS, Event, describe, make_pairs
from moesaic.align.clip import (
    CLIPConfig,
    SeriesTextCLIP,
    caption_keys,
    embed_in_chunks,
    pair_batches,
    recall_at_k,
)
from moesaic.align.tep import (
    DESCRIBED_FAULTS,
    VARIABLES,
    NormalScale,
    cut_windows,
    fault_descriptions,
    window_features,
)
from moesaic.data.batch import Batch
from moesaic.data.registry import load_dataset
from moesaic.data.tokenizer import TextTokenizer
from moesaic.eval.bench import BenchRow, SuiteContext, register_suite
from moesaic.eval.meters import Stopwatch, count_parameters, measure_latency, peak_rss_mb, torch_threads
from moesaic.train import TrainConfig, train

logger = logging.getLogger(__name__)

LENGTH = 32
TEXT_LENGTH = 32
ONSET = 160  # 0-based index of the first faulty sample of a TEP test run
TRAIN_STRIDE = 8


class Plan(NamedTuple):
    """Sizes of one run: synthetic pairs for training and test, CLIP steps, TEP tuning steps."""

    train_pairs: int
    test_pairs: int
    steps: int
    tune_steps: int


def plan(quick: bool) -> Plan:
    """Quick: 6,000 training pairs, 500 steps; full: 30,000 pairs, 4,000 steps."""
    return Plan(6000, 500, 500, 200) if quick else Plan(30000, 1000, 4000, 1000)


class Cost(NamedTuple):
    """The cost fields of a measured row (None where they do not apply)."""

    params_total: int | None
    params_active: int | None
    train_seconds: float | None
    infer_ms_per_window: float | None
    peak_rss_mb: float | None

    def fields(self) -> dict[str, Any]:
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in self._asdict().items()}


def _train_config(steps: int, seed: int, threads: int, batch_size: int = 64) -> TrainConfig:
    return TrainConfig(
        lr=2e-3, warmup_steps=min(100, steps // 10), max_steps=steps, batch_size=batch_size,
        eval_every=max(1, min(100, steps)), patience=5, seed=seed, num_threads=threads,
        log_every=100, checkpoint_every=steps,
    )  # fmt: skip


def _encode(tokenizer: TextTokenizer, texts: list[str]) -> torch.Tensor:
    return tokenizer.encode(texts, TEXT_LENGTH)


def fit_synthetic(ctx: SuiteContext, p: Plan, threads: int) -> tuple[SeriesTextCLIP, TextTokenizer, float]:
    """The tokenizer and CLIP model trained on synthetic pairs only; also the wall time."""
    steps = ctx.integer("steps", p.steps)
    with Stopwatch() as watch:
        pairs = make_pairs(p.train_pairs, length=LENGTH, channel_names=VARIABLES, seed=ctx.seed)
        val = make_pairs(256, length=LENGTH, channel_names=VARIABLES, seed=ctx.seed + 1)
        tokenizer = TextTokenizer(num_buckets=64).fit(pairs.captions)
        # One token per channel (patch_len = LENGTH): 52 tokens keep a step affordable on 2 cores.
        config = CLIPConfig(length=LENGTH, channels=len(VARIABLES), patch_len=LENGTH,
                            vocab_size=tokenizer.vocab_size, max_text_length=TEXT_LENGTH)  # fmt: skip
        torch.manual_seed(ctx.seed)
        model = SeriesTextCLIP(config)
        series, ids = torch.from_numpy(pairs.series), _encode(tokenizer, pairs.captions)
        keys = caption_keys(pairs.captions)
        tc = _train_config(steps, ctx.seed, threads)
        val_batches = pair_batches(torch.from_numpy(val.series), _encode(tokenizer, val.captions),
                                   caption_keys(val.captions), tc.batch_size)  # fmt: skip

        def source(epoch: int, generator: torch.Generator) -> list[Batch]:
            return pair_batches(series, ids, keys, tc.batch_size, generator=generator)

        train(model, source, config=tc, val_batches=val_batches)
    model.eval()
    return model, tokenizer, watch.seconds


@torch.no_grad()
def _text_embeddings(model: SeriesTextCLIP, tokenizer: TextTokenizer, texts: list[str]) -> torch.Tensor:
    model.eval()
    return model.embed_text(_encode(tokenizer, texts))


def synthetic_rows(model: SeriesTextCLIP, tokenizer: TextTokenizer, ctx: SuiteContext, p: Plan,
                   cost: Cost) -> list[BenchRow]:  # fmt: skip
    """Retrieval and event-kind zero-shot accuracy on held-out synthetic pairs, with chance rows."""
    test = make_pairs(p.test_pairs, length=LENGTH, channel_names=VARIABLES, seed=ctx.seed + 2)
    first = {c: i for i, c in reversed(list(enumerate(test.captions)))}
    keep = sorted(first.values())  # one pair per distinct caption: a repeated one has no single match
    series_emb = embed_in_chunks(model, torch.from_numpy(test.series[keep]))
    text_emb = _text_embeddings(model, tokenizer, [test.captions[i] for i in keep])
    similarity = (text_emb @ series_emb.T).numpy()  # (Q, Q): caption i against window j
    n = len(keep)
    single = [i for i, events in enumerate(test.events) if len(events) == 1]
    single_emb = embed_in_chunks(model, torch.from_numpy(test.series[single]))
    correct = 0
    for row, i in enumerate(single):
        event = test.events[i][0]
        prompts = [describe([Event(kind, event.channel)], VARIABLES) for kind in EVENT_KINDS]
        scores = _text_embeddings(model, tokenizer, prompts) @ single_emb[row]
        correct += EVENT_KINDS[int(scores.argmax())] == event.kind
    measured = {
        "recall@1": (f"pairs={n}", recall_at_k(similarity, 1), 1 / n),
        "recall@5": (f"pairs={n}", recall_at_k(similarity, 5), min(1.0, 5 / n)),
        "kind_accuracy": (f"windows={len(single)},kinds={len(EVENT_KINDS)}", correct / len(single),
                          1 / len(EVENT_KINDS)),
    }  # fmt: skip
    rows = []
    for metric, (setting, value, chance) in measured.items():
        common: dict[str, Any] = {
            "dataset": "synthetic-captions",
            "task": "alignment",
            "setting": setting,
            "metric": metric,
        }
        rows.append(BenchRow(system="moesaic-clip", value=round(value, 4), **common, **cost.fields()))
        rows.append(BenchRow(system="chance", value=round(chance, 4), **common))
        logger.info("synthetic %s: %.3f (chance %.3f)", metric, value, chance)
    return rows


class TEPData(NamedTuple):
    """TEP runs of the described faults (training and test) and the normal-operation scale."""

    train: list[Any]
    test: list[Any]
    scale: NormalScale


def load_tep(ctx: SuiteContext) -> TEPData:
    """The runs of normal operation and the described faults; the scale of the normal training run."""
    data = load_dataset("tep", ctx.data_root())
    runs = [s for s in data.series if s.meta["fault"] in DESCRIBED_FAULTS]
    train_runs = [s for s in runs if s.meta["split"] == "train"]
    normal = next(s for s in train_runs if s.meta["fault"] == 0).values
    scale = NormalScale(normal.mean(axis=0), normal.std(axis=0) + 1e-6)
    return TEPData(train_runs, [s for s in runs if s.meta["split"] == "test"], scale)


def tep_settings(test_runs: list[Any]) -> dict[str, list[int]]:
    """Setting (``windows=...``) -> the 0-based window starts used in every TEP test run."""
    length = min(s.length for s in test_runs)
    after = list(range(ONSET, length - LENGTH + 1, LENGTH))
    # Onset at 25-60 % into the window (the synthetic captions' range), every other start.
    at = list(range(ONSET - int(0.6 * LENGTH), ONSET - int(0.25 * LENGTH) + 1, 2))
    return {"windows=after-onset": after, "windows=at-onset": at}


def _classify_clip(model: SeriesTextCLIP, tokenizer: TextTokenizer) -> Callable[[np.ndarray], np.ndarray]:
    descriptions = fault_descriptions()
    faults = np.asarray(sorted(descriptions))
    text_emb = _text_embeddings(model, tokenizer, [descriptions[f] for f in faults])

    def predict(windows: np.ndarray) -> np.ndarray:
        scores = embed_in_chunks(model, torch.from_numpy(windows)) @ text_emb.T  # (W, faults)
        return faults[scores.argmax(dim=1).numpy()]

    return predict


def tune_on_tep(model: SeriesTextCLIP, tokenizer: TextTokenizer, data: TEPData, ctx: SuiteContext, steps: int,
                threads: int) -> tuple[SeriesTextCLIP, float]:  # fmt: skip
    """A copy of ``model`` trained further on TEP training windows paired with their fault's description."""
    descriptions = fault_descriptions()
    length = min(s.length for s in data.train)
    windows = cut_windows(data.train, length=LENGTH, starts=range(0, length - LENGTH + 1, 2))
    ids = _encode(tokenizer, [descriptions[int(f)] for f in windows.labels])
    series, keys = torch.from_numpy(windows.series), torch.from_numpy(windows.labels)
    tc = _train_config(steps, ctx.seed, threads)
    with Stopwatch() as watch:
        tuned = copy.deepcopy(model)

        def source(epoch: int, generator: torch.Generator) -> list[Batch]:
            return pair_batches(series, ids, keys, tc.batch_size, generator=generator)

        train(tuned, source, config=tc)
    tuned.eval()
    return tuned, watch.seconds


def fit_forest(data: TEPData, seed: int) -> tuple[Callable[[np.ndarray], np.ndarray], int, float]:
    """Random forest on window statistics of the TEP training runs: predict, size (nodes), seconds."""
    length = min(s.length for s in data.train)
    with Stopwatch() as watch:
        windows = cut_windows(data.train, length=LENGTH, starts=range(0, length - LENGTH + 1, TRAIN_STRIDE))
        forest = RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1)
        forest.fit(window_features(windows.series, data.scale), windows.labels)
    size = int(sum(tree.tree_.node_count for tree in forest.estimators_))
    return (lambda w: forest.predict(window_features(w, data.scale))), size, watch.seconds


def _latency_ms(predict: Callable[[np.ndarray], np.ndarray], windows: np.ndarray) -> float:
    """Median time to classify all ``windows`` at once, per window."""
    return measure_latency(lambda: predict(windows), repeats=3, warmup=0).p50_ms / len(windows)


def tep_rows(
    systems: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Cost]], data: TEPData
) -> list[BenchRow]:
    rows = []
    classes = len(DESCRIBED_FAULTS)
    for setting, starts in tep_settings(data.test).items():
        windows = cut_windows(data.test, length=LENGTH, starts=starts)
        full_setting = f"{setting},length={LENGTH},classes={classes},per_class={len(starts)}"
        common: dict[str, Any] = {"dataset": "tep", "task": "zero-shot-fault", "setting": full_setting}
        for metric in ("accuracy", "macro_f1"):
            rows.append(BenchRow(system="chance", metric=metric, value=round(1 / classes, 4), **common))
        for system, (predict, cost) in systems.items():
            predicted = predict(windows.series)
            latency = _latency_ms(predict, windows.series)
            fields = cost._replace(infer_ms_per_window=latency, peak_rss_mb=peak_rss_mb())
            accuracy = float((predicted == windows.labels).mean())
            macro = float(f1_score(windows.labels, predicted, labels=list(DESCRIBED_FAULTS), average="macro",
                                   zero_division=0))  # fmt: skip
            logger.info("tep %s %s: accuracy %.3f macro-F1 %.3f", setting, system, accuracy, macro)
            for metric, value in (("accuracy", accuracy), ("macro_f1", macro)):
                rows.append(
                    BenchRow(system=system, metric=metric, value=round(value, 4), **common, **fields.fields())
                )
    return rows


FAMILIES: dict[str, tuple[str, ...]] = {
    "moesaic.eval.suites.alignment_joint": ("visualbert", "blip"),
    "moesaic.eval.suites.alignment_llava": ("llava", "cogvlm"),
    "moesaic.eval.suites.alignment_series_text": (
        "llmtime", "promptcast", "chattime", "timellm", "tempo", "gpt4ts",
    ),
}  # fmt: skip
"""Module -> the systems its ``rows(ctx, systems)`` measures (CLIP lives in this module)."""

SYSTEMS = ("clip", *(s for systems in FAMILIES.values() for s in systems))
OWN_SYSTEMS = ("clip", "visualbert", "blip", "llava", "cogvlm")
OPTIONS = (
    "systems", "steps", "tune_steps", "threads",  # this module (CLIP)
    "blip_steps", "joint_steps", "skab_steps", "queries",  # alignment_joint*
    "encoder_steps", "lm_layers", "lm_lr", "number_tokens", "stage1_steps", "stage2_steps",  # alignment_llava
    "text_windows", "text_samples", "text_steps", "text_batch_size",  # alignment_series_text
)  # fmt: skip
"""The ``-o`` keys of the suite: its own and those of the family modules it runs."""
"""The project's own alignment options (rows ``moesaic-<name>``); the others are baselines."""


def selected_systems(option: str | None) -> list[str]:
    """The ``systems=a,b`` option as a list (every system when absent), checked against SYSTEMS."""
    if option is None or not option.strip():
        return list(SYSTEMS)
    chosen = [s.strip() for s in option.split(",") if s.strip()]
    unknown = [s for s in chosen if s not in SYSTEMS]
    if unknown:
        raise ValueError(f"unknown alignment system(s) {unknown}; choose from {list(SYSTEMS)}")
    return chosen


@register_suite(
    "alignment",
    "series-text alignment side by side: CLIP, VisualBERT, BLIP, LLaVA/CogVLM projectors into SmolLM2, "
    "series-as-text LLM baselines (-o systems=a,b to choose)",
    options=OPTIONS,
)
def run(ctx: SuiteContext) -> list[BenchRow]:
    systems = selected_systems(ctx.options.get("systems"))
    # a bar (or a line every few seconds) per family of systems: the whole suite runs for long
    families = [m for m, family in FAMILIES.items() if any(s in systems for s in family)]
    steps = ["clip"] * ("clip" in systems) + families
    rows: list[BenchRow] = []
    for step in ctx.progress(steps, "alignment: families of systems", total=len(steps)):
        if step == "clip":
            rows += run_clip(ctx)
            continue
        wanted = [s for s in FAMILIES[step] if s in systems]
        rows += [_project_name(r) for r in importlib.import_module(step).rows(ctx, wanted)]
    return rows


def _project_name(row: BenchRow) -> BenchRow:
    """Rows of the project's own alignment options are named ``moesaic-<option>`` (bench contract)."""
    base = row.system.split("-")[0]
    return dataclasses.replace(row, system=f"moesaic-{row.system}") if base in OWN_SYSTEMS else row


def run_clip(ctx: SuiteContext) -> list[BenchRow]:
    """The CLIP rows: synthetic retrieval, then zero-shot and tuned TEP fault classification."""
    p = plan(ctx.quick)
    # One thread by default: on 2 shared cores, two threads that wait on each other ran ~15x slower.
    threads = ctx.integer("threads", 1)
    with torch_threads(threads):
        model, tokenizer, seconds = fit_synthetic(ctx, p, threads)
        params = count_parameters(model)
        cost = Cost(params.total, params.active, seconds, None, peak_rss_mb())
        rows = synthetic_rows(model, tokenizer, ctx, p, cost)
        data = load_tep(ctx)
        tune_steps = ctx.integer("tune_steps", p.tune_steps)
        tuned, tune_seconds = tune_on_tep(model, tokenizer, data, ctx, tune_steps, threads)
        forest, size, forest_seconds = fit_forest(data, ctx.seed)
        systems = {
            "moesaic-clip": (_classify_clip(model, tokenizer), cost),
            "moesaic-clip-tuned": (
                _classify_clip(tuned, tokenizer),
                cost._replace(train_seconds=tune_seconds),
            ),
            "random-forest": (forest, Cost(size, size, forest_seconds, None, None)),
        }
        rows += tep_rows(systems, data)
    return rows
