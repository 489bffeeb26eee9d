"""``moesaic synth``: train a conditional synthesizer, or sample labelled synthetic windows from one.

Two modes, one command:

- fit: ``moesaic synth --fit tep --by fault --save model/`` cuts windows from a registered data
  set, a plant folder written by ``moesaic simulate``, a folder of the user's own files (the
  layout of ``moesaic kb ingest``) or one series file, and saves the fitted model;
  ``--texts`` also gives each window the texts of its asset's work orders and notes dated inside
  it (or up to ``--text-reach`` hours after it: a report describes what led to it), which the
  model learns to read as a condition;
- sample: ``moesaic synth --model model/ --condition fault=leak,severity=0.7 --n 500 --out DIR``
  writes ``DIR/samples.csv`` (or ``.parquet``) and ``DIR/provenance.csv``; ``--text "seal leak at
  high load"`` names the condition in words: a model fitted with ``--texts`` reads the words
  themselves; the words are also matched against the factors' values
  (:mod:`moesaic.tasks.synth.text_condition`), and what was understood is printed.

Every sample row carries ``synthetic=True`` and a ``sample_id`` whose provenance row names the
run, the model folder and the checksum of its weights, the seed, the condition and the factors
taken by transfer (``transferred``, empty when the generator drew the sample alone), so synthetic
data can never be mistaken for real data later. The sample ids start with the run id (UTC time
and random bits, :func:`new_run_id`): the same seed gives the same samples, under other ids.
An option of the other mode (``--window`` with ``--model``, ``--seed`` with ``--fit``) is refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import numpy as np
import pandas as pd
import typer
from rich.markup import escape

from moesaic.atomic import write_bytes_atomic, write_text_atomic
from moesaic.checkpoint import CheckpointError
from moesaic.cli.console import check_outputs, console, fail, working
from moesaic.config import ConfigError, apply_overrides
from moesaic.data.bounds import floored
from moesaic.data.readers import read_series_file
from moesaic.data.schema import MaintenanceData, Series
from moesaic.data.tables import DataFormatError
from moesaic.knowledge.sources import load_source
from moesaic.reports.plots import figure_png, samples_figure
from moesaic.tasks.synth.conditions import condition_windows, find_label_names, parse_condition
from moesaic.tasks.synth.config import DESIGNS, SynthConfig
from moesaic.tasks.synth.synthesizer import Synthesizer
from moesaic.tasks.synth.text_condition import parse_text_condition

FORMATS = ("csv", "parquet")


FIT_ONLY = {
    "save": "--save", "by": "--by", "window": "--window", "stride": "--stride", "design": "--design",
    "texts": "--texts", "text_reach": "--text-reach", "data": "--data", "overrides": "--set",
}  # fmt: skip
"""Options that describe the model to fit: given with --model, they would describe another model."""
SAMPLE_ONLY = {
    "condition": "--condition", "text": "--text", "n": "--n", "out": "--out", "seed": "--seed",
    "guidance": "--guidance", "fmt": "--format", "plot": "--plot",
}  # fmt: skip
"""Options of sampling: given with --fit, nothing is sampled."""


def synth(
    ctx: typer.Context,
    model: Annotated[
        Path | None, typer.Option("--model", help="Fitted synthesizer folder to sample from.")
    ] = None,
    condition: Annotated[
        str, typer.Option("--condition", help="Factors KEY=VALUE,...; empty samples unconditionally.")
    ] = "",
    text: Annotated[
        str,
        typer.Option(
            "--text",
            help='The condition in words, e.g. "seal leak at high load"; --condition values win.',
        ),
    ] = "",
    n: Annotated[int, typer.Option("--n", min=1, help="Number of windows to sample.")] = 100,
    out: Annotated[Path, typer.Option("--out", help="Output folder of samples and provenance.")] = Path(
        "synthetic"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Sampling seed (recorded per sample).")] = 0,
    guidance: Annotated[
        float,
        typer.Option(
            "--guidance",
            min=0.0,
            help="Classifier-free guidance (flow models): above 1 follows the condition more closely.",
        ),
    ] = 1.0,
    fmt: Annotated[str, typer.Option("--format", help=f"Samples file format: {', '.join(FORMATS)}.")] = "csv",
    plot: Annotated[
        Path | None, typer.Option("--plot", help="PNG file: the first samples, one panel per channel.")
    ] = None,
    fit: Annotated[
        str | None,
        typer.Option(
            "--fit",
            help="Train instead: a series file, a plant or user folder, or a registered data set.",
        ),
    ] = None,
    save: Annotated[
        Path | None, typer.Option("--save", help="With --fit: folder to save the model in.")
    ] = None,
    by: Annotated[
        str,
        typer.Option(
            "--by", help="With --fit: condition factors (label or metadata names), comma-separated."
        ),
    ] = "",
    window: Annotated[int, typer.Option("--window", min=1, help="With --fit: steps per window.")] = 24,
    stride: Annotated[int, typer.Option("--stride", min=1, help="With --fit: steps between windows.")] = 12,
    design: Annotated[str, typer.Option("--design", help=f"With --fit: {', '.join(DESIGNS)}.")] = "flow",
    texts: Annotated[
        bool,
        typer.Option(
            "--texts", help="With --fit: learn to read the work orders and notes dated inside each window."
        ),
    ] = False,
    text_reach: Annotated[
        float,
        typer.Option(
            "--text-reach",
            min=0,
            help="With --texts: hours before its date that a work order or note also describes.",
        ),
    ] = 0.0,
    data: Annotated[Path | None, typer.Option("--data", help="Data root for registered data sets.")] = None,
    overrides: Annotated[
        list[str] | None,
        typer.Option("--set", help="With --fit: config override KEY=VALUE, e.g. train.max_steps=500."),
    ] = None,
) -> None:
    """Fit a synthesizer (--fit DATA --save DIR) or sample from one (--model DIR --out DIR)."""
    if (fit is None) == (model is None):
        fail("give either --fit DATA --save DIR (train) or --model DIR (sample)")
    _refuse_other_mode(ctx, fitting=fit is not None)
    if fit is not None:
        check_outputs(folders=(save,))
    else:
        check_outputs(files=(plot,), folders=(out,), png=plot)
    try:
        if fit is not None:
            if save is None:
                fail("--fit needs --save DIR to keep the fitted model")
            _fit(
                fit,
                save,
                by=by,
                window=window,
                stride=stride,
                design=design,
                data=data,
                overrides=overrides,
                texts=texts,
                text_reach=text_reach,
            )
            return
        assert model is not None
        if fmt not in FORMATS:
            fail(f"--format must be one of {list(FORMATS)}, got {fmt!r}")
        _sample(
            model,
            condition=condition,
            text=text,
            n=n,
            out=out,
            seed=seed,
            fmt=fmt,
            guidance=guidance,
            plot=plot,
        )
    except KeyError as err:  # str() of a KeyError quotes its message
        fail(str(err.args[0]) if err.args else str(err))
    except (DataFormatError, ConfigError, CheckpointError, ValueError) as err:
        fail(str(err))


def _refuse_other_mode(ctx: typer.Context, *, fitting: bool) -> None:
    """Exit with one line naming every option of the other mode that was given: an option of
    fitting given with --model would describe another model than the one sampled (--window 48
    does not lengthen the windows of a model fitted on 24), and --seed given with --fit would
    not seed the training (``--set train.seed=N`` does)."""
    other = SAMPLE_ONLY if fitting else FIT_ONLY
    given = [flag for name, flag in other.items() if _given(ctx, name)]
    if not given:
        return
    verb = "applies" if len(given) == 1 else "apply"
    if fitting:
        fail(
            f"{', '.join(given)} only {verb} when sampling (--model DIR); --fit trains and saves a model: "
            "leave them out and sample from the saved model next (the training seed is --set train.seed=N)"
        )
    fail(
        f"{', '.join(given)} only {verb} with --fit; --model samples from a fitted model as it was "
        "fitted: leave them out, or fit a new model with them (--fit DATA --save DIR)"
    )


def _given(ctx: typer.Context, name: str) -> bool:
    """Whether option ``name`` was given (on the command line or from the environment)."""
    source = ctx.get_parameter_source(name)  # typer's own copy of click's ParameterSource: by name
    return source is not None and source.name in ("COMMANDLINE", "ENVIRONMENT", "PROMPT")


def _fit(
    source: str,
    save: Path,
    *,
    by: str,
    window: int,
    stride: int,
    design: str,
    data: Path | None,
    overrides: list[str] | None,
    texts: bool,
    text_reach: float,
) -> None:
    path = Path(source).expanduser()
    if path.is_file():  # one series file: its channels, each window without condition factors
        # a text column (notes, a status word) is left out of the channels with a warning, as a
        # plant folder's is, and kept as a per-step label: a condition to synthesise by
        series = read_series_file(path, asset_id=path.stem, skip_text=True, text_labels=True)
        dataset = MaintenanceData(name=path.stem, series=(series,))
    else:
        dataset = load_source(source, data_root=data).data
    _warn_mixed_steps(dataset.series, window)
    factors = [f.strip() for f in by.split(",") if f.strip()]
    documents = dataset.documents if texts else None
    reach = np.timedelta64(round(text_reach * 3600), "s")
    try:
        cut = condition_windows(
            dataset.series,
            window=window,
            stride=stride,
            by=factors,
            documents=documents,
            text_reach=reach,
            assets=dataset.assets,
        )
    except ValueError as err:  # name what was read: the message speaks of series and windows only
        raise ValueError(f"{path}: {err}") from None
    _say_one_valued(factors, cut.conditions, dataset.series, window)
    if texts and not any(cut.texts or ()):
        fail(
            f"--texts: no window of {source} has a dated document of its asset inside it "
            f"({len(dataset.documents)} documents); fit without --texts, or use longer windows or "
            "--text-reach"
        )
    config = apply_overrides(SynthConfig(design=design), overrides or [])
    if window % config.patch_len:
        config = dataclasses.replace(config, patch_len=1)
    with working(f"fitting a {design} synthesizer on {len(cut.windows)} windows of {source}"):
        synthesizer = Synthesizer(config).fit(
            cut.windows,
            cut.conditions if factors else None,
            observed=cut.observed,
            channel_names=cut.channels,
            value_names=find_label_names(dataset.series, factors),
            texts=cut.texts,
        )
    synthesizer.save(save)
    with_text = f", {sum(bool(t) for t in cut.texts)} with text" if cut.texts is not None else ""
    named = factors or "none"
    console.print(f"saved the synthesizer to {save} ({len(cut.windows)} windows{with_text}, factors {named})")


def new_run_id(now: dt.datetime) -> str:
    """A name for one sampling run, ``20260102T030405Z-1a2b3c``: its UTC time and 24 random bits, so
    that two runs never share sample ids, even with one seed (which makes their samples identical)."""
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _named_codes(asked: dict[str, object], names: dict[str, dict[str, str]]) -> dict[str, object]:
    """``asked`` with a value written by its name (``fault=normal``) replaced by the code the model
    learnt (``fault=0``), for the factors whose codes the data named."""
    out = dict(asked)
    for factor, value in asked.items():
        codes = {name.lower(): code for code, name in names.get(factor, {}).items()}
        if isinstance(value, str) and value.lower() in codes:  # read as if the code had been written
            out[factor] = parse_condition(f"{factor}={codes[value.lower()]}")[factor]
    return out


def _say_one_valued(
    factors: Sequence[str], conditions: Sequence[dict[str, object]], series: Sequence[Series], window: int
) -> None:
    """Name each factor the windows give one value only, and when the series' per-step labels hold
    others, why: every window holds a step of that value, and a window takes its least usual one."""
    for factor in factors:
        values = {str(c[factor]) for c in conditions if factor in c}
        if len(values) != 1:
            continue
        only = values.pop()
        held = sorted({str(v) for s in series if factor in s.labels for v in s.labels[factor]} - {only, ""})
        mixed = (
            f"; the series also hold {', '.join(held[:5])}, but every window of {window} steps has a "
            f"step of {only} (a window takes its least usual value): shorter windows (--window) keep "
            "them apart"
            if held
            else ""
        )
        console.print(
            f"factor {factor!r} takes one value ({only}) in these windows: the model cannot vary it{mixed}"
        )


def _warn_mixed_steps(series: Sequence[Series], window: int) -> None:
    """Say so when the series are sampled at different steps: a window of ``window`` rows then
    spans another length of time in each, and the model learns them as one."""
    steps: dict[pd.Timedelta, list[str]] = {}
    for s in series:
        if s.length > 1 and np.issubdtype(s.time.dtype, np.datetime64):
            step = pd.Timedelta(np.median(np.diff(s.time)))
            steps.setdefault(step, []).append(s.asset_id or s.series_id)
    if len(steps) > 1:
        said = "; ".join(
            f"{', '.join(ids[:3])}{' ...' if len(ids) > 3 else ''} every {step}"
            for step, ids in steps.items()
        )
        console.print(
            f"[yellow]warning: the series are sampled at different steps ({escape(said)}): a window of "
            f"{window} rows spans a different length of time in each; fit series of one step together, or "
            "resample them[/]",
            markup=True,
            highlight=False,
        )


def _named(factor: str, value: object, names: dict[str, dict[str, str]]) -> str:
    """``fault='bearing wear' (code 2)`` for a code the data named, else ``fault=2``."""
    name = names.get(factor, {}).get(str(value))
    return f"{factor}={name!r} (code {value})" if name and name != str(value) else f"{factor}={value!r}"


def _sample(
    model: Path,
    *,
    condition: str,
    text: str,
    n: int,
    out: Path,
    seed: int,
    fmt: str,
    guidance: float,
    plot: Path | None,
) -> None:
    synthesizer = Synthesizer.load(model)
    channels = list(synthesizer.channel_names_)
    asked = _named_codes(parse_condition(condition) if condition else {}, synthesizer.value_names_)
    reads_text = synthesizer.text_embedder_ is not None
    if text:
        try:
            read = parse_text_condition(text, synthesizer.spec_, synthesizer.value_names_)
        except ValueError:
            if not reads_text:
                raise  # the words are all this model can go by: say which values it knows
            read = None
        if read is not None:
            asked = {**read.condition, **asked}
            understood = ", ".join(
                f"{_named(k, v, synthesizer.value_names_)} (from {read.matched[k]!r})"
                for k, v in read.condition.items()
            )
            console.print(f"understood: {understood}; words not used: {' '.join(read.unused) or 'none'}")
        if reads_text:
            console.print(f"the model reads the text itself ({synthesizer.text_embedder_} embedding)")
            near = "; ".join(f"{t!r} ({s:.2f})" for t, s in synthesizer.closest_texts(text))
            console.print(f"closest training texts (cosine similarity): {near or 'none kept'}")
    said = text if reads_text else None
    result = synthesizer.sample(n, condition=asked or None, texts=said, seed=seed, guidance=guidance)
    bounded = synthesizer.never_negative_
    below = [name for c, name in enumerate(channels) if bounded[c] and (result.series[:, :, c] < 0).any()]
    if below:  # active power or wind speed below 0 is no series a machine gives
        console.print(
            f"never negative in the training data, floored at 0: {', '.join(below)}", highlight=False
        )
        result = result._replace(series=floored(result.series, bounded).astype(np.float32))
    W, T, C = result.series.shape
    now = dt.datetime.now(dt.UTC)
    run = new_run_id(now)
    ids = [f"synthetic-{run}-{i}" for i in range(W)]
    frame = pd.DataFrame(result.series.reshape(W * T, C), columns=channels)
    frame.insert(0, "step", np.tile(np.arange(T), W))
    frame.insert(0, "sample_id", np.repeat(ids, T))
    frame.insert(0, "synthetic", True)
    weights = json.loads((model / "config.json").read_text()).get("sha256", {}).get("model.safetensors", "")
    provenance = pd.DataFrame(
        {
            "sample_id": ids,
            "synthetic": True,
            "run": run,
            "model": str(model.resolve()),
            "model_sha256": weights,
            "seed": seed,
            "guidance": guidance,
            "condition": [json.dumps(c, sort_keys=True) for c in result.conditions],
            "text": result.texts,
            "transferred": [",".join(t) for t in result.transferred],
            "created": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    out.mkdir(parents=True, exist_ok=True)
    other = out / ("samples.csv" if fmt == "parquet" else "samples.parquet")
    if fmt == "parquet":
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        write_bytes_atomic(out / "samples.parquet", buffer.getvalue())
    else:
        write_text_atomic(out / "samples.csv", frame.to_csv(index=False))
    write_text_atomic(out / "provenance.csv", provenance.to_csv(index=False))
    if other.exists():  # an earlier run's samples in the other format: the provenance is no longer theirs
        other.unlink()
        console.print(f"removed {other}: an earlier run's samples, not described by the new provenance.csv")
    console.print(
        f"wrote {W} synthetic windows of {T} steps x {C} channels to {out} (run {run}, seed {seed}; "
        "provenance.csv beside)"
    )
    if plot is not None:
        asked_for = json.dumps(asked, sort_keys=True) if asked else "no condition"
        title = f"synthetic windows from {model.name}: {asked_for}" + (f", text {text!r}" if said else "")
        write_bytes_atomic(plot, figure_png(samples_figure(result.series, names=channels, title=title)))
        console.print(f"wrote {plot}")
