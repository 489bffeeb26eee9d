"""``moesaic inspect CHECKPOINT``: the collapse diagnostics of a collapse-study model, as tables and plots.

The checkpoint (written by ``moesaic bench collapse`` under ``OUT/checkpoints/<system>[-<setting>]``)
holds the model and what rebuilds its probe data: the plant is simulated again from its seed and
size, cut into the same windows, and the per-layer metrics are measured on the same probe batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.table import Table

from moesaic.atomic import write_bytes_atomic
from moesaic.checkpoint import CheckpointError
from moesaic.cli.console import check_outputs, console, fail
from moesaic.eval.collapse_study import collapse_per_layer, expert_similarity, load_study_checkpoint
from moesaic.moe import CollapseReport
from moesaic.moe.modality import MODALITIES
from moesaic.reports.plots import figure_png, pyplot


def inspect(
    checkpoint: Annotated[Path, typer.Argument(help="A checkpoint folder of `moesaic bench collapse`.")],
    out: Annotated[Path, typer.Option("--out", help="Folder for the PNG plots.")] = Path("inspect-output"),
) -> None:
    """Print per-layer collapse metrics and the training log; plot load, expert similarity and routing."""
    if not checkpoint.is_dir():
        found = "a file" if checkpoint.exists() else "nothing"
        fail(f"{checkpoint}: expected a checkpoint folder of `moesaic bench collapse`, found {found}")
    check_outputs(folders=(out,))
    try:
        loaded = load_study_checkpoint(checkpoint)
    except CheckpointError as err:
        fail(str(err))
    reports = collapse_per_layer(loaded.model, loaded.probe)
    config = loaded.config
    name = f"{config['system']} {config['setting'] or '(default)'}"
    title = f"{name}: collapse on {loaded.probe.size} probe windows"
    console.print(_layer_table(reports, title))
    log = config.get("collapse_log", [])
    if log:
        console.print(_log_table(log, len(reports)))
    figures = {
        "load.png": _plot_load(reports),
        "modality.png": _plot_modality(reports),
    }
    similarity = expert_similarity(loaded.model, loaded.probe)
    if similarity:  # a dense model has no experts to compare
        figures["similarity.png"] = _plot_similarity(similarity)
    for name, png in figures.items():
        write_bytes_atomic(out / name, png)
    for name in figures:
        console.print(f"wrote {out / name}", soft_wrap=True)


def _layer_table(reports: list[CollapseReport], title: str) -> Table:
    # Short headers keep the table whole in an 80-column terminal; the caption spells them out.
    table = Table("L", "E", "u min", "u max", "dead", "gini", "H", "MI", "cos", "CKA", "rank", title=title)
    table.caption = (
        "u min/max: smallest/largest expert share of routed slots; H: mean routing entropy (nats); "
        "MI: marginal - token entropy; cos/CKA: mean pairwise expert similarity; rank: effective rank"
    )
    for i, r in enumerate(reports):
        table.add_row(
            str(i), str(len(r.utilisation)), f"{r.utilisation.min():.3f}", f"{r.utilisation.max():.3f}",
            str(int(r.dead.sum())), f"{r.gini:.3f}", f"{r.entropy.token:.2f}",
            f"{r.entropy.mutual_information:.2f}", _number(r.expert_cosine), _number(r.expert_cka),
            f"{r.effective_rank:.1f}",
        )  # fmt: skip
    return table


def _log_table(log: list[dict[str, Any]], num_layers: int) -> Table:
    """One row per logged step and layer, so the table stays narrow."""
    metrics = ("utilisation_min", "utilisation_max", "num_dead", "gini", "expert_cosine", "expert_cka")
    table = Table("step", "layer", "u min", "u max", "dead", "gini", "cos", "CKA",
                  title="logged during training (probe batch)")  # fmt: skip
    for record in log:
        for i in range(num_layers):
            cells = [_number(record.get(f"l{i}.{m}", float("nan"))) for m in metrics]
            cells[2] = cells[2].split(".")[0]  # a count
            table.add_row(str(int(record["step"])), str(i), *cells)
    return table


def _number(value: float) -> str:
    return "-" if not np.isfinite(value) else f"{value:.3f}"


def _plot_load(reports: list[CollapseReport]) -> bytes:
    """Share of routed slots per expert, one panel per layer, with the uniform share dashed."""
    plt = pyplot()
    figure, axes = plt.subplots(
        len(reports), 1, figsize=(6, 2.2 * len(reports)), squeeze=False, layout="constrained"
    )
    for i, (axis, report) in enumerate(zip(axes[:, 0], reports, strict=True)):
        experts = np.arange(len(report.utilisation))
        axis.bar(experts, report.utilisation, color=["tab:red" if d else "tab:blue" for d in report.dead])
        axis.axhline(1 / len(experts), color="gray", linestyle="--", linewidth=1)
        axis.set_xticks(experts)
        axis.set_ylabel(f"layer {i} load")
    axes[-1, 0].set_xlabel("expert (red: dead; dashed: uniform share)")
    return figure_png(figure)


def _plot_similarity(matrices: list[np.ndarray]) -> bytes:
    """Mean cosine similarity of expert outputs on the probe tokens, one heatmap per layer."""
    plt = pyplot()
    figure, axes = plt.subplots(
        1, len(matrices), figsize=(4.2 * len(matrices), 3.6), squeeze=False, layout="constrained"
    )
    for i, (axis, matrix) in enumerate(zip(axes[0], matrices, strict=True)):
        image = axis.imshow(matrix, cmap="coolwarm", vmin=-1, vmax=1)
        axis.set_title(f"layer {i}: expert output cosine")
        axis.set_xlabel("expert")
        axis.set_ylabel("expert")
        figure.colorbar(image, ax=axis, fraction=0.046)
    return figure_png(figure)


def _plot_modality(reports: list[CollapseReport]) -> bytes:
    """Share of each modality's routed slots per expert, one heatmap per layer."""
    plt = pyplot()
    figure, axes = plt.subplots(
        1, len(reports), figsize=(4.8 * len(reports), 3.0), squeeze=False, layout="constrained"
    )
    for i, (axis, report) in enumerate(zip(axes[0], reports, strict=True)):
        matrix = report.modality_matrix if report.modality_matrix is not None else np.zeros((0, 0))
        image = axis.imshow(matrix, cmap="viridis", vmin=0, vmax=1, aspect="auto")
        axis.set_yticks(range(matrix.shape[0]), MODALITIES[: matrix.shape[0]])
        axis.set_xlabel("expert")
        axis.set_title(f"layer {i}: modality -> expert")
        figure.colorbar(image, ax=axis, fraction=0.046)
    return figure_png(figure)
