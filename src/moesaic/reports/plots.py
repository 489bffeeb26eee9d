"""Figures shared by the demo page and the commands' ``--plot`` files: alarms and forecasts.

matplotlib is imported only when a figure is drawn, on its file-only backend, so a command that
writes no plot does not pay for it. Axes: T steps, C channels, H forecast steps.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from moesaic.tasks.detectors_pipeline import Detection

Span = tuple[Any, Any]  # (start, end) on the time axis, shaded in red


def pyplot() -> Any:
    """matplotlib.pyplot on the Agg backend: files only, never a window."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_png(figure: Any, *, dpi: int = 120) -> bytes:
    """``figure`` as PNG bytes; the figure is closed afterwards."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    pyplot().close(figure)
    return buffer.getvalue()


def mask_spans(time: np.ndarray, mask: np.ndarray) -> list[Span]:
    """The (first, last) times of each run of True in ``mask`` (T,)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [(time[start], time[stop - 1]) for start, stop in zip(edges[::2], edges[1::2], strict=True)]


def detection_figure(
    time: np.ndarray,
    values: np.ndarray,
    detection: Detection,
    *,
    calibrated_rows: int,
    title: str,
    spans: Sequence[Span] = (),
    channels: int = 3,
) -> Any:
    """The anomaly score and its threshold, alarms shaded orange, then the ``channels`` channels
    that contribute most to the alarms (the first ones when nothing is in alarm).

    ``values`` (T, C) are the readings as read (NaN where missing: a row with none draws no score);
    the rows left of a green line (``calibrated_rows``) are those the detector learnt from;
    ``spans`` (known faults, say) are shaded red.
    """
    plt = pyplot()
    alarm = detection.alarm
    share = np.nan_to_num(detection.contributions[alarm]).sum(axis=0) if alarm.any() else None
    count = min(channels, values.shape[1])
    top = np.argsort(-share, kind="stable")[:count] if share is not None else np.arange(count)
    fig, axes = plt.subplots(1 + len(top), 1, figsize=(11, 1.3 * (1 + len(top)) + 0.6), sharex=True)
    axes = np.atleast_1d(axes)
    unread = ~np.isfinite(values).any(axis=1)  # a gap: no score drawn there, not a score of 0
    axes[0].plot(time, np.where(unread, np.nan, detection.score), lw=0.7, color="black")
    axes[0].axhline(detection.threshold, color="crimson", lw=0.8, ls="--")
    axes[0].set_ylabel("score", fontsize=7)
    for ax, c in zip(axes[1:], top, strict=True):
        ax.plot(time, values[:, c], lw=0.6)
        ax.set_ylabel(detection.channels[c], rotation=0, ha="right", fontsize=7)
    for ax in axes:
        ax.tick_params(labelsize=6)
        if 0 < calibrated_rows <= len(time):
            ax.axvline(time[calibrated_rows - 1], color="green", lw=0.8)
        for start, end in spans:
            ax.axvspan(start, end, color="red", alpha=0.15)
        ax.fill_between(time, 0, 1, where=alarm, transform=ax.get_xaxis_transform(),
                        color="orange", alpha=0.3, lw=0)  # fmt: skip
    axes[0].set_title(title, fontsize=8)
    fig.tight_layout()
    return fig


def forecast_figure(
    past_time: np.ndarray,
    past: np.ndarray,
    future_time: np.ndarray,
    median: np.ndarray,
    band: tuple[np.ndarray, np.ndarray],
    *,
    names: Sequence[str],
    title: str,
    actual: np.ndarray | None = None,
    channels: int = 4,
) -> Any:
    """The recent past (black), the forecast median (blue) and a quantile band, one panel per
    channel for the first ``channels`` channels.

    ``past`` is (T, C); ``median`` and both arrays of ``band`` (lower, upper) are (H, C);
    ``actual`` (up to H rows, C), when given, is what happened after, drawn in black too.
    """
    plt = pyplot()
    shown = min(channels, len(names))
    fig, axes = plt.subplots(shown, 1, figsize=(11, 1.3 * shown + 0.6), sharex=True)
    axes = np.atleast_1d(axes)
    lower, upper = band
    for c, ax in enumerate(axes):
        ax.plot(past_time, past[:, c], lw=0.7, color="black")
        if actual is not None:
            ax.plot(future_time[: len(actual)], actual[:, c], lw=0.7, color="black")
        ax.plot(future_time, median[:, c], lw=1.0, color="tab:blue")
        ax.fill_between(future_time, lower[:, c], upper[:, c], color="tab:blue", alpha=0.25, lw=0)
        ax.set_ylabel(names[c], rotation=0, ha="right", fontsize=7)
        ax.tick_params(labelsize=6)
    more = f" (the first {shown} of {len(names)} channels)" if shown < len(names) else ""
    axes[0].set_title(title + more, fontsize=8)
    fig.tight_layout()
    return fig


def samples_figure(
    windows: np.ndarray, *, names: Sequence[str], title: str, samples: int = 10, channels: int = 4
) -> Any:
    """Up to ``samples`` windows (W, T, C) overlaid, one panel per channel for the first ``channels``."""
    plt = pyplot()
    shown = min(channels, len(names))
    fig, axes = plt.subplots(shown, 1, figsize=(9, 1.3 * shown + 0.6), sharex=True)
    axes = np.atleast_1d(axes)
    steps = np.arange(windows.shape[1])
    for c, ax in enumerate(axes):
        for window in windows[:samples]:
            ax.plot(steps, window[:, c], lw=0.7, alpha=0.7)
        ax.set_ylabel(names[c], rotation=0, ha="right", fontsize=7)
        ax.tick_params(labelsize=6)
    axes[-1].set_xlabel("step", fontsize=7)
    more = f" (the first {shown} of {len(names)} channels)" if shown < len(names) else ""
    axes[0].set_title(title + more, fontsize=8)
    fig.tight_layout()
    return fig
