"""The benchmark runner: a registry of suites, each writing rows of the shared output contract.

A suite is a function ``run(ctx) -> list[BenchRow]``. :func:`run_suite` times nothing itself;
it validates the rows and writes ``DIR/SUITE.json`` and ``DIR/SUITE.md`` atomically, in the
shape fixed by ``shared/bench-contract.md``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
import json
import math
import os
import platform
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TypeVar

from moesaic.atomic import write_text_atomic

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
    options: Mapping[str, str], key: str, default: N, parse: Callable[[str], N], what: str
) -> N:
    text = options.get(key)
    try:
        return default if text is None else parse(text)
    except ValueError:
        raise OptionError(f"option {key}={text!r}: expected {what}") from None


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
    """What a suite receives: the run mode, where data is, options, and a progress wrapper."""

    quick: bool = False
    data: Path | None = None
    options: Mapping[str, str] = field(default_factory=dict)
    progress: Progress = _no_progress
    seed: int = 0
    out: Path | None = None  # the run's output folder, for artefacts such as checkpoints

    def number(self, key: str, default: float) -> float:
        """Option ``key`` as a number, ``default`` when it is absent (:class:`OptionError` if not one)."""
        return _parse_option(self.options, key, default, float, "a number")

    def integer(self, key: str, default: int) -> int:
        """Option ``key`` as an integer, ``default`` when it is absent (:class:`OptionError` if not one)."""
        return _parse_option(self.options, key, default, int, "an integer")

    def data_root(self) -> Path:
        from moesaic.data.registry import resolve_data_root

        return resolve_data_root(self.data)


@dataclass(frozen=True)
class Suite:
    name: str
    description: str
    run: Callable[[SuiteContext], list[BenchRow]]


_SUITES: dict[str, Suite] = {}


def register_suite(name: str, description: str) -> Callable[[Callable[[SuiteContext], list[BenchRow]]], Any]:
    """Decorator that adds a suite function to the registry under ``name``."""

    def wrap(fn: Callable[[SuiteContext], list[BenchRow]]) -> Callable[[SuiteContext], list[BenchRow]]:
        assert name not in _SUITES, f"suite {name!r} registered twice"
        _SUITES[name] = Suite(name=name, description=description, run=fn)
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


def machine_info() -> dict[str, Any]:
    import torch

    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"cpus": cpus, "torch": torch.__version__.split("+")[0], "python": platform.python_version()}


def run_suite(name: str, ctx: SuiteContext, *, out: Path, command: str) -> BenchResult:
    """Run suite ``name`` and write ``out/name.json`` and ``out/name.md``."""
    known = suites()
    if name not in known:
        raise KeyError(f"unknown suite {name!r}; available suites: {', '.join(sorted(known))}")
    options = ReadOptions(ctx.options)
    rows = known[name].run(dataclasses.replace(ctx, options=options))
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
    write_text_atomic(md_path, render_markdown(name, rows, command=command, created=created))
    return BenchResult(json_path, md_path, rows, tuple(options.unread()))


def _fmt(value: Any) -> str:
    """Whole numbers without decimals, others with four significant digits."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def render_markdown(name: str, rows: Sequence[BenchRow], *, command: str, created: str) -> str:
    """The rows as Markdown tables grouped by dataset and setting, measured rows before published ones."""
    lines = [f"# Benchmark `{name}`", "", f"Command: `{command}`  ", f"Created: {created}", ""]
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
