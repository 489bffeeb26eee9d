"""The benchmark runner: a registry of suites, each writing rows of the shared output contract.

A suite is a function ``run(ctx) -> list[BenchRow]`` registered with the ``-o`` option keys it
reads. :func:`run_suite` times nothing itself; it refuses option keys the suite does not declare
before the suite runs, clears the peak-memory mark, then checks the rows (one per (system, dataset,
setting, metric), at least one) and writes ``DIR/SUITE.json`` and ``DIR/SUITE.md`` atomically, in
the shape fixed by ``shared/bench-contract.md``; nothing is written when a check fails.

Rows of a ``--quick`` run say so: every measured row's ``setting`` gets ``quick=1`` (unless the
suite put a ``quick`` key there itself), so that a reduced run is never taken for the full protocol
next to published numbers. Suites add the other knobs that cut their protocol (``steps=N``, ...)
themselves, with :func:`add_to_setting`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import logging
import math
import os
import platform
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

from moesaic.atomic import write_text_atomic
from moesaic.eval.meters import reset_peak_rss

logger = logging.getLogger(__name__)

T = TypeVar("T")
N = TypeVar("N", int, float)

# Modules under moesaic.eval.suites; each registers its suites with @register_suite when imported.
SUITE_MODULES = (
    "data",
    "collapse",
    "rul",
    "forecast",
    "anomaly",
    "qa_exam",
    "qa",
    "adaptation",
    "drawings",
    "reports",
    "phrasing",
    "synthesis",
    "synthesis_conditions",
    "synthesis_text",
    "augmentation",
    "scenarios",
    "alignment",
    "ask",
)


class OptionError(ValueError):
    """A suite option (``-o KEY=VALUE``) that the suite cannot use; the message says why."""


class SuiteOutputError(ValueError):
    """Rows a suite returned that the contract does not allow (duplicate keys, none at all); the
    message names them, and nothing is written."""


_METRIC = re.compile(r"^[a-z][a-z0-9_@.]*$")
MEASURED_FIELDS = ("params_total", "params_active", "train_seconds", "infer_ms_per_window", "peak_rss_mb")


@dataclass(frozen=True)
class BenchRow:
    """One (system, dataset, setting, metric) result."""

    system: str
    dataset: str
    task: str
    setting: str
    metric: str
    value: float
    params_total: int | None = None
    params_active: int | None = None
    train_seconds: float | None = None
    infer_ms_per_window: float | None = None
    peak_rss_mb: float | None = None
    source: str = "measured"

    def __post_init__(self) -> None:
        if not _METRIC.match(self.metric):
            raise ValueError(f"`metric` must be snake_case, got {self.metric!r}")
        if (
            isinstance(self.value, bool)
            or not isinstance(self.value, int | float)
            or not math.isfinite(self.value)
        ):
            raise ValueError(
                f"row {self.system}/{self.dataset}/{self.metric}: `value` must be a finite "
                f"number, got {self.value!r}"
            )
        if self.source != "measured" and not self.source.startswith("published:"):
            raise ValueError(f"`source` must be 'measured' or start with 'published:', got {self.source!r}")
        if self.source != "measured" and any(getattr(self, f) is not None for f in MEASURED_FIELDS):
            raise ValueError("published rows carry no measured cost fields")

    def to_json(self) -> dict[str, Any]:
        row = dataclasses.asdict(self)
        row["value"] = float(self.value)
        return row


class Progress(Protocol):
    def __call__(self, items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]: ...


def _no_progress(items: Iterable[T], description: str, total: int | None = None) -> Iterator[T]:
    yield from items


def _parse_option(
    options: Mapping[str, str],
    key: str,
    default: N,
    parse: Callable[[str], N],
    what: str,
    minimum: N | None = None,
) -> N:
    text = options.get(key)
    if minimum is not None:
        what = f"{what} >= {minimum}"
    try:
        value = default if text is None else parse(text)
    except ValueError:
        value = None
    if value is None or (text is not None and minimum is not None and value < minimum):
        raise OptionError(f"option {key}={text!r}: expected {what}")
    return value


def add_to_setting(setting: str, **knobs: object) -> str:
    """``setting`` with ``key=value`` appended for each knob not None whose key it lacks.

    Example: ``add_to_setting("L=512,H=96", steps=60, quick=None) == "L=512,H=96,steps=60"``.
    """
    present = {part.partition("=")[0] for part in setting.split(",") if part}
    extra = [f"{k}={v}" for k, v in knobs.items() if v is not None and k not in present]
    return ",".join([setting, *extra] if setting else extra)


class ReadOptions(Mapping[str, str]):
    """The ``-o KEY=VALUE`` options, remembering which keys a suite read (looked up or tested)."""

    def __init__(self, options: Mapping[str, str]) -> None:
        self._options = dict(options)
        self.read: set[str] = set()

    def __getitem__(self, key: str) -> str:
        self.read.add(key)
        return self._options[key]

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.read.add(key)
        return key in self._options

    def __iter__(self) -> Iterator[str]:  # iterating reads no key: a suite listing them checks them itself
        return iter(self._options)

    def __len__(self) -> int:
        return len(self._options)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return self._options.get(key, default)

    def unread(self) -> list[str]:
        """The keys given that the suite never looked at: misspelt, or options of another suite."""
        return sorted(set(self._options) - self.read)


@dataclass(frozen=True)
class SuiteContext:
    """What a suite receives: the run mode, where data is, options, and a progress wrapper.

    ``notes`` collects what a suite wants a reader of its Markdown to know about the run (a channel
    left out of a metric, ...): see :meth:`note`.
    """

    quick: bool = False
    data: Path | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    progress: Progress = _no_progress
    seed: int = 0
    out: Path | None = None  # the run's output folder, for artefacts such as checkpoints
    notes: list[str] = field(default_factory=list)

    def number(self, key: str, default: float, *, minimum: float | None = None) -> float:
        """Option ``key`` as a number, ``default`` when it is absent (:class:`OptionError` if not
        one, or below ``minimum``)."""
        return _parse_option(self.options, key, default, float, "a number", minimum)

    def integer(self, key: str, default: int, *, minimum: int | None = None) -> int:
        """Option ``key`` as one integer, ``default`` when it is absent (:class:`OptionError` if not
        one, a list such as ``1,8`` included, or below ``minimum``)."""
        return _parse_option(self.options, key, default, int, "an integer", minimum)

    def integers(self, key: str, default: tuple[int, ...], *, minimum: int = 1) -> tuple[int, ...]:
        """Option ``key`` as distinct integers separated by commas (``96,192``), ``default`` when
        absent; :class:`OptionError` for a non-integer, one below ``minimum`` or a repeated one."""
        text = self.options.get(key)
        if text is None:
            return default
        try:
            values = tuple(int(v) for v in text.split(","))
        except ValueError:
            raise OptionError(
                f"option {key}={text!r}: expected integers >= {minimum} separated by commas"
            ) from None
        if any(v < minimum for v in values):
            raise OptionError(f"option {key}={text!r}: expected integers >= {minimum} separated by commas")
        _refuse_repeats(key, text, values)
        return values

    def names(self, key: str, default: tuple[str, ...], *, choices: Sequence[str]) -> tuple[str, ...]:
        """Option ``key`` as distinct names of ``choices`` separated by commas, ``default`` when
        absent; :class:`OptionError` naming the unknown or repeated ones and the valid choices."""
        text = self.options.get(key)
        if text is None:
            return default
        values = tuple(v.strip() for v in text.split(","))
        unknown = sorted(set(values) - set(choices))
        if unknown:
            raise OptionError(f"option {key}={text!r}: unknown {unknown}; choose among {list(choices)}")
        _refuse_repeats(key, text, values)
        return values

    def note(self, text: str) -> None:
        """Log ``text`` as a warning and keep it for the run's Markdown (under its header)."""
        logger.warning("%s", text)
        self.notes.append(text)

    def data_root(self) -> Path:
        from moesaic.data.registry import resolve_data_root

        return resolve_data_root(self.data)


def _refuse_repeats(key: str, text: str, values: Sequence[object]) -> None:
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise OptionError(f"option {key}={text!r}: {repeated} given more than once; give each value once")


@dataclass(frozen=True)
class Suite:
    """A registered suite; ``options`` are the ``-o`` keys it reads (None: not declared, so keys it
    never read are only reported after the run)."""

    name: str
    description: str
    run: Callable[[SuiteContext], list[BenchRow]]
    options: tuple[str, ...] | None = None


_SUITES: dict[str, Suite] = {}


def register_suite(
    name: str, description: str, *, options: Sequence[str] | None = None
) -> Callable[[Callable[[SuiteContext], list[BenchRow]]], Any]:
    """Decorator that adds a suite function to the registry under ``name``, with the ``-o`` option
    keys it reads (every other key is refused before it runs)."""

    def wrap(fn: Callable[[SuiteContext], list[BenchRow]]) -> Callable[[SuiteContext], list[BenchRow]]:
        assert name not in _SUITES, f"suite {name!r} registered twice"
        declared = None if options is None else tuple(options)
        _SUITES[name] = Suite(name=name, description=description, run=fn, options=declared)
        return fn

    return wrap


def suites() -> dict[str, Suite]:
    """All registered suites by name."""
    for module in SUITE_MODULES:
        importlib.import_module(f"moesaic.eval.suites.{module}")
    return dict(_SUITES)


class BenchResult(NamedTuple):
    json_path: Path
    markdown_path: Path
    rows: list[BenchRow]
    unread_options: tuple[str, ...] = ()  # -o keys the suite never read
    notes: tuple[str, ...] = ()  # what the suite noted about the run (also in the Markdown)


def machine_info() -> dict[str, Any]:
    import torch

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpus": cpus, "torch": torch.__version__.split("+")[0], "python": platform.python_version()}


def run_suite(name: str, ctx: SuiteContext, *, out: Path, command: str) -> BenchResult:
    """Run suite ``name`` and write ``out/name.json`` and ``out/name.md``.

    Raises:
        KeyError: an unknown suite.
        OptionError: an option key the suite does not declare (before it runs), or one it refuses.
        SuiteOutputError: rows sharing a (system, dataset, setting, metric) key, or no rows at all;
            nothing is written.
    """
    known = suites()
    if name not in known:
        raise KeyError(f"unknown suite {name!r}; available suites: {', '.join(sorted(known))}")
    suite = known[name]
    if suite.options is not None:
        unknown = sorted(set(ctx.options) - set(suite.options))
        if unknown:
            valid = list(suite.options) or "none"
            raise OptionError(f"suite {name}: unknown options {unknown}; valid options are {valid}")
    options = ReadOptions(ctx.options)
    notes: list[str] = []
    reset_peak_rss()  # the suite's peaks are its own, not those of what ran before in this process
    rows = suite.run(dataclasses.replace(ctx, options=options, notes=notes))
    if ctx.quick:  # a reduced run is never taken for the full protocol (module docstring)
        rows = [_marked_quick(row) for row in rows]
    check_rows(name, rows)
    created = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = {
        "suite": name,
        "created": created,
        "command": command,
        "machine": machine_info(),
        "rows": [row.to_json() for row in rows],
    }
    json_path = Path(out) / f"{name}.json"
    md_path = Path(out) / f"{name}.md"
    write_text_atomic(json_path, json.dumps(document, indent=2) + "\n")
    markdown = render_markdown(name, rows, command=command, created=created, notes=notes)
    write_text_atomic(md_path, markdown)
    return BenchResult(json_path, md_path, rows, tuple(options.unread()), tuple(notes))


def _marked_quick(row: BenchRow) -> BenchRow:
    if row.source != "measured":  # a published number was not run here, quick or not
        return row
    return dataclasses.replace(row, setting=add_to_setting(row.setting, quick=1))


def check_rows(name: str, rows: Sequence[BenchRow]) -> None:
    """Raise :class:`SuiteOutputError` unless ``rows`` hold at least one row and one row per
    (system, dataset, setting, metric), as the contract asks."""
    if not rows:
        raise SuiteOutputError(
            f"suite {name} produced no rows, so nothing was written (are its data sets in the data folder?)"
        )
    keys = Counter((r.system, r.dataset, r.setting, r.metric) for r in rows)
    repeated = [key for key, count in keys.items() if count > 1]
    if repeated:
        shown = "; ".join("/".join(key) for key in repeated[:5])
        more = f" and {len(repeated) - 5} more" if len(repeated) > 5 else ""
        raise SuiteOutputError(
            f"suite {name} produced more than one row for the (system/dataset/setting/metric) key(s) "
            f"{shown}{more}; the contract allows one row per key, so nothing was written"
        )


def _fmt(value: Any) -> str:
    """Whole numbers without decimals, others with four significant digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def render_markdown(
    name: str, rows: Sequence[BenchRow], *, command: str, created: str, notes: Sequence[str] = ()
) -> str:
    """The rows as Markdown tables grouped by dataset and setting, measured rows before published
    ones, after the run's ``notes`` (if any)."""
    lines = [f"# Benchmark `{name}`", "", f"Command: `{command}`  ", f"Created: {created}", ""]
    if notes:
        lines += ["Notes:", "", *(f"- {note}" for note in notes), ""]
    groups: dict[tuple[str, str], list[BenchRow]] = {}
    for row in rows:
        groups.setdefault((row.dataset, row.setting), []).append(row)
    header = (
        "| system | metric | value | params total | params active | train s | infer ms/window "
        "| peak RSS MB | source |"
    )
    for (dataset, setting), members in groups.items():
        lines += [f"## {dataset} — {setting or 'default'}", "", header, "|" + "---|" * 9]
        members = sorted(members, key=lambda r: (r.source != "measured", r.metric, r.system))
        for r in members:
            cells = [
                r.system,
                r.metric,
                _fmt(r.value),
                _fmt(r.params_total),
                _fmt(r.params_active),
                _fmt(r.train_seconds),
                _fmt(r.infer_ms_per_window),
                _fmt(r.peak_rss_mb),
                r.source,
            ]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    return "\n".join(lines)
