"""Suite ``data``: how long loading each registered data set takes, and what it holds."""

from __future__ import annotations

import gc

from moesaic.data.registry import DataNotFoundError, datasets
from moesaic.eval.bench import BenchRow, SuiteContext, register_suite
from moesaic.eval.meters import Stopwatch, current_rss_mb, peak_rss_mb


@register_suite("data", "time loading every data set of the registry from the data folder", options=())
def run(ctx: SuiteContext) -> list[BenchRow]:
    root = ctx.data_root()
    rows: list[BenchRow] = []
    infos = [info for info in datasets().values() if info.folder(root).is_dir()]
    if not infos:  # a wrong --data folder: refuse it before anything is written
        raise DataNotFoundError(
            f"{root} holds none of the registered data sets (folders {sorted(datasets())}); "
            "give --data the folder that holds them"
        )
    for info in ctx.progress(infos, "loading data sets", total=len(infos)):
        gc.collect()
        before = current_rss_mb()
        with Stopwatch() as watch:
            data = info.loader(info.folder(root))
        counts = data.counts()
        records = sum(v for k, v in counts.items() if k != "series_steps")
        setting = f"modality={'+'.join(data.modalities()) or 'none'}"
        measured = {
            "load_seconds": watch.seconds,
            "records": float(records),
            "series_steps": float(counts["series_steps"]),
            "rss_increase_mb": max(current_rss_mb() - before, 0.0),
        }
        rows += [
            BenchRow(
                system="moesaic-loader",
                dataset=info.name,
                task="load",
                setting=setting,
                metric=metric,
                value=value,
                peak_rss_mb=peak_rss_mb() if metric == "load_seconds" else None,
            )
            for metric, value in measured.items()
        ]
        del data
    return rows
