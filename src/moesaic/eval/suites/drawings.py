"""Suite ``drawings``: reading and checking technical drawings, against annotations and known faults.

Datasets:

- ``mech_drawings_edocr2``: annotated mechanical drawings (5 in the development snapshot). The
  reading configuration was tuned on ``BM_part`` and ``LIU0010`` (``split=dev``) and first
  reported on ``Adapterplatte``, ``Candle_holder`` and ``example_dwg`` (``split=test``; their OCR
  lines were inspected later, see BENCHMARKS.md). Every other annotated drawing in the folder is
  one the project has never seen (``split=new``), so a fuller copy of the data set is measured
  without a change; a split with no drawing in the folder writes no row, and a named drawing
  that is absent is skipped with a warning. A found dimension counts when its box overlaps an
  annotated dimension with IoU >= 0.2 (the eDOCr protocol, one-to-one); ``cer`` is the character
  error rate on the matched pairs after symbol normalisation
  (:func:`moesaic.drawings.symbols.normalize_for_cer`), as a fraction.
- ``simulated``: test sheets of the plant simulator with one injected fault each
  (:mod:`moesaic.drawings.cases`; varied fonts, a small rotation, scanner noise). Metrics:
  ``titleblock_field_accuracy`` over the 11 fields (a blanked field must be read blank),
  ``check_f1`` of the (rule, subject) findings against the injected faults (every dimension
  finding counts as one "any dimension" subject), ``invented_identifiers`` (part numbers in
  findings that are neither on the BOM nor on the sheet), and the dimension metrics as above.

Every dataset reports ``seconds_per_drawing`` (wall) and ``cpu_seconds_per_drawing`` (process
CPU time: on a machine shared with other jobs, wall time overstates what two free cores need).
The ``published:`` rows quote eDOCr2 on its own test drawings; they are not re-run here.

Options (``-o KEY=VALUE``): ``engine=rapidocr|tesseract``, ``cases=N`` simulated sheets (quick 8,
full 24), ``datasets=a,b``, ``threads=N`` (rapidocr only: passes and lines read at once, default
1; it changes the timings, not the readings; other than 1 it is named in the setting);
``scale=F`` (0.25 to 2) reads the eDOCr2 drawings resized by F, their annotated boxes with them:
the same sheets scanned at another resolution, a check of how the reading holds up (``scale=F``
in the setting, no published rows beside it); ``rescale=0`` (rapidocr only) reads small and large
print as it is instead of resized (:mod:`moesaic.drawings.sheet`), named ``rescale=0`` in the
setting.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

from moesaic.data.registry import load_dataset
from moesaic.drawings.bom import BomItem
from moesaic.drawings.cases import make_check_cases
from moesaic.drawings.check import check_summary
from moesaic.drawings.ocr import OCREngine, make_engine
from moesaic.drawings.pages import load_pages
from moesaic.drawings.score import DimensionMatch, f1, field_accuracy, match_dimensions
from moesaic.drawings.summary import DrawingSummary, summarize_image
from moesaic.eval.bench import BenchRow, OptionError, SuiteContext, register_suite
from moesaic.eval.meters import peak_rss_mb

logger = logging.getLogger(__name__)

TASK = "drawing"
SPLITS = {
    "dev": ("BM_part", "LIU0010"),
    "test": ("Adapterplatte", "Candle_holder", "example_dwg"),
}
NEW_SPLIT = "new"  # every annotated drawing the development snapshot did not hold
MIN_IOU = 0.2
PUBLISHED_SOURCE = (
    "published: Villena Toro, Wiberg & Tarkian, eDOCr2 (SSRN 5045921, 2024), its own test drawings"
)
PUBLISHED = (("dimension_precision", 0.90), ("dimension_recall", 0.90), ("cer", 0.08))
PART_NUMBER_RULES = (
    "bom_item_missing",
    "bom_quantity",
    "bom_part_number",
    "bom_unknown_item",
    "revision_mismatch",
)


class Timed(NamedTuple):
    summary: DrawingSummary
    seconds: float
    cpu_seconds: float


def _read(image: np.ndarray, engine: OCREngine, path: str) -> Timed:
    wall, cpu = time.perf_counter(), time.process_time()
    summary = summarize_image(image, engine=engine, path=path)
    return Timed(summary, time.perf_counter() - wall, time.process_time() - cpu)


def _merge(matches: Sequence[DimensionMatch]) -> DimensionMatch:
    return DimensionMatch(
        sum(m.found for m in matches),
        sum(m.truth for m in matches),
        [p for m in matches for p in m.pairs],
        sum(m.errors for m in matches),
        sum(m.chars for m in matches),
    )


def _rows(dataset: str, setting: str, metrics: dict[str, float]) -> list[BenchRow]:
    return [
        BenchRow(
            system="moesaic",
            dataset=dataset,
            task=TASK,
            setting=setting,
            metric=k,
            value=float(v),
            peak_rss_mb=peak_rss_mb() if k == "seconds_per_drawing" else None,
        )
        for k, v in metrics.items()
    ]


def _dimension_metrics(match: DimensionMatch) -> dict[str, float]:
    return {"dimension_precision": match.precision, "dimension_recall": match.recall, "cer": match.cer}


def _resized(image: np.ndarray, scale: float) -> np.ndarray:
    """``image`` resized by ``scale`` (area averaging down, cubic up), as a scan at another resolution."""
    import cv2

    if scale == 1.0:
        return image
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def _scale_option(options: Mapping[str, str]) -> float:
    try:
        scale = float(options.get("scale", "1"))
    except ValueError:
        raise OptionError(f"option scale: expected a number, got {options['scale']!r}") from None
    if not 0.25 <= scale <= 2.0:
        raise OptionError(f"option scale: must be between 0.25 and 2, got {scale}")
    return scale


def run_edocr2(ctx: SuiteContext, engine: OCREngine) -> list[BenchRow]:
    data = load_dataset("mech_drawings_edocr2", ctx.data_root())
    by_id = {d.drawing_id: d for d in data.drawings}
    scale = _scale_option(ctx.options)
    rescaled = f",scale={scale:g}" if scale != 1.0 else ""
    rows: list[BenchRow] = []
    for split, names in drawing_splits(sorted(by_id)).items():
        matches, timings = [], []
        for name in ctx.progress(names, f"edocr2 {split}", total=len(names)):
            drawing = by_id[name]
            timed = _read(_resized(load_pages(drawing.path)[0], scale), engine, str(drawing.path))
            truth = [
                (b["text"], [v * scale for v in b["box"]]) for b in drawing.boxes if b["kind"] == "dimension"
            ]
            found = [(d.text, d.box) for d in timed.summary.dimensions]
            match = match_dimensions(found, truth, min_iou=MIN_IOU)
            logger.info(
                "%s: P=%.2f R=%.2f CER=%.3f in %.1f s",
                name,
                match.precision,
                match.recall,
                match.cer,
                timed.seconds,
            )
            matches.append(match)
            timings.append(timed)
        setting = f"split={split},iou={MIN_IOU},{_engine_setting(engine)}{rescaled}"
        metrics = _dimension_metrics(_merge(matches))
        metrics["seconds_per_drawing"] = float(np.mean([t.seconds for t in timings]))
        metrics["cpu_seconds_per_drawing"] = float(np.mean([t.cpu_seconds for t in timings]))
        rows += _rows("mech_drawings_edocr2", setting, metrics)
    if rescaled:
        return rows
    setting = f"split=test,iou={MIN_IOU},{_engine_setting(engine)}"
    rows += [
        BenchRow(
            system="eDOCr2",
            dataset="mech_drawings_edocr2",
            task=TASK,
            setting=setting,
            metric=m,
            value=v,
            source=PUBLISHED_SOURCE,
        )
        for m, v in PUBLISHED
    ]
    return rows


def drawing_splits(present: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The drawings of each split among ``present`` (drawing ids); a split with none is left out.

    ``dev`` and ``test`` keep their named drawings that are present (an absent one is logged);
    ``new`` holds every present drawing that no split names, in the order given.
    """
    named = {name for names in SPLITS.values() for name in names}
    missing = sorted(named - set(present))
    if missing:
        logger.warning(
            "mech_drawings_edocr2: %s not in the folder; their splits are scored without them", missing
        )
    splits = {split: tuple(n for n in names if n in present) for split, names in SPLITS.items()}
    splits[NEW_SPLIT] = tuple(n for n in present if n not in named)
    return {split: names for split, names in splits.items() if names}


def finding_keys(findings: Sequence[Any]) -> set[tuple[str, str]]:
    """(rule, subject) of each finding; dimension findings collapse to one "any dimension" key."""
    return {(f.rule, "*" if f.rule == "dimension_tolerance" else f.subject) for f in findings}


def run_simulated(ctx: SuiteContext, engine: OCREngine) -> list[BenchRow]:
    count = ctx.integer("cases", 8 if ctx.quick else 24)
    cases = make_check_cases(count, seed=ctx.seed)
    correct = total = tp = fp = fn = invented = 0
    matches, timings = [], []
    for case in ctx.progress(cases, "simulated sheets", total=len(cases)):
        image = np.asarray(Image.open(io.BytesIO(case.png)).convert("L"))
        timed = _read(image, engine, case.case_id)
        summary = timed.summary
        bom = [
            BomItem(
                part_number=r["part_number"],
                qty=int(r["qty"]),
                line=i + 2,
                item=str(r["item"]),
                revision=r["revision"],
            )
            for i, r in enumerate(case.reference_bom)
        ]
        result = check_summary(summary, bom=bom)
        found_fields = {k: summary.title_block.get(k) for k in case.truth["title_block"]}
        c, t = field_accuracy(found_fields, case.truth["title_block"])
        correct, total = correct + c, total + t
        expected, got = set(case.expected), finding_keys(result.findings)
        tp, fp, fn = tp + len(expected & got), fp + len(got - expected), fn + len(expected - got)
        known = {r["part_number"] for r in case.reference_bom} | {r["part_number"] for r in case.truth["bom"]}
        known |= {case.truth["title_block"]["part_number"], case.truth["title_block"]["drawing_number"]}
        invented += sum(1 for f in result.findings if f.rule in PART_NUMBER_RULES and f.subject not in known)
        truth_dims = [(b["text"], b["box"]) for b in case.truth["dimensions"]]
        matches.append(
            match_dimensions([(d.text, d.box) for d in summary.dimensions], truth_dims, min_iou=MIN_IOU)
        )
        timings.append(timed)
        if expected != got:
            logger.info(
                "%s (%s): expected %s, found %s", case.case_id, case.fault, sorted(expected), sorted(got)
            )
    metrics = {
        "titleblock_field_accuracy": correct / total,
        "check_f1": f1(tp, fp, fn),
        "invented_identifiers": float(invented),
        **_dimension_metrics(_merge(matches)),
        "seconds_per_drawing": float(np.mean([t.seconds for t in timings])),
        "cpu_seconds_per_drawing": float(np.mean([t.cpu_seconds for t in timings])),
    }
    setting = f"cases={count},seed={ctx.seed},iou={MIN_IOU},{_engine_setting(engine)}"
    return _rows("simulated", setting, metrics)


def _engine(options: Mapping[str, str]) -> OCREngine:
    name = options.get("engine", "rapidocr")
    settings: dict[str, Any] = {}
    for option in ("threads", "rescale"):
        if option in options and name != "rapidocr":
            raise OptionError(f"option {option}: only the rapidocr engine takes it, not {name!r}")
    if "threads" in options:
        settings["threads"] = int(options["threads"])
        if settings["threads"] < 1:
            raise OptionError(f"option threads: must be >= 1, got {settings['threads']}")
    if "rescale" in options:
        if options["rescale"] not in ("0", "1"):
            raise OptionError(f"option rescale: expected 0 or 1, got {options['rescale']!r}")
        settings["rescale"] = options["rescale"] == "1"
    return make_engine(name, **settings)


def _engine_setting(engine: OCREngine) -> str:
    threads = getattr(engine, "threads", None)
    rescales = getattr(engine, "rescale", True)
    return (
        f"engine={engine.name}"
        + (f",threads={threads}" if threads not in (None, 1) else "")
        + ("" if rescales else ",rescale=0")
    )


@register_suite(
    "drawings",
    "drawing reading (eDOCr2 drawings) and verification (simulated sheets with faults)",
    options=("datasets", "engine", "threads", "cases", "scale", "rescale"),
)
def run(ctx: SuiteContext) -> list[BenchRow]:
    engine = _engine(ctx.options)
    chosen = ctx.options.get("datasets", "mech_drawings_edocr2,simulated").split(",")
    unknown = sorted(set(chosen) - {"mech_drawings_edocr2", "simulated"})
    if unknown:
        raise OptionError(f"option datasets: unknown {unknown}; choose from mech_drawings_edocr2, simulated")
    rows: list[BenchRow] = []
    if "mech_drawings_edocr2" in chosen:
        rows += run_edocr2(ctx, engine)
    if "simulated" in chosen:
        rows += run_simulated(ctx, engine)
    return rows
