"""AssetOpsBench work orders, rule alerts, KPI anomalies, catalogues and FMEA rows, from its tables.

Each builder takes the text tables of :func:`moesaic.data.sets.assetopsbench.read_tables` and
keeps the links between them (failure codes, meters, components); the loader there assembles them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from moesaic.data.schema import Document, Event
from moesaic.data.tables import DataFormatError, numeric_column
from moesaic.data.times import time_column

logger = logging.getLogger(__name__)

STAMP = "%m/%d/%y %H:%M"  # work orders, alerts and anomalies, as in 4/6/16 14:00


def _grouped(frame: pd.DataFrame, keys: str | list[str], value: str) -> dict[Any, tuple[str, ...]]:
    """A one-to-many link table as {key: (values in file order)}."""
    return {k: tuple(v) for k, v in frame.groupby(keys, sort=False)[value]}


def _choice_column(frame: pd.DataFrame, column: str, path: Path, choices: dict[str, Any]) -> np.ndarray:
    text = frame[column].str.upper()
    bad = ~text.isin(choices)
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFormatError(
            path,
            f"expected one of {sorted(choices)}, found {frame[column].iloc[pos]!r}",
            line=pos + 2,
            column=column,
        )
    return text.map(choices).to_numpy()


def _hours_column(frame: pd.DataFrame, column: str, path: Path) -> np.ndarray:
    """An ``H:MM`` column as hours (float64); a few cells carry seconds too (``40:00:00``)."""
    parts = frame[column].str.extract(r"^(\d+):([0-5]\d)(?::([0-5]\d))?$")
    bad = parts[0].isna()
    if bad.any():
        pos = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFormatError(
            path,
            f"expected a duration like 3:00 (H:MM), found {frame[column].iloc[pos]!r}",
            line=pos + 2,
            column=column,
        )
    hours, minutes, seconds = (parts[k].astype(float).fillna(0.0).to_numpy() for k in range(3))
    return hours + minutes / 60.0 + seconds / 3600.0


CODE_FIELDS = (
    "primary_code",
    "primary_code_description",
    "secondary_code",
    "secondary_code_description",
    "collection",
)


def _work_orders(tables: dict[str, pd.DataFrame], path: Path) -> list[Document]:
    wo = tables["work_orders"]
    time = time_column(wo, "actual_finish", path, fmt=STAMP, unique=False)
    preventive = _choice_column(wo, "preventive", path, {"TRUE": True, "FALSE": False})
    priority = numeric_column(wo, "work_priority", path)
    duration = _hours_column(wo, "duration", path)
    labour = _hours_column(wo, "actual_labor_hours", path)
    components = _grouped(tables["collection_components"], "collection", "component")
    unmapped = sorted(set(wo["collection"]) - set(components))
    if unmapped:
        logger.warning("%s: collections without a component mapping: %s", path, unmapped)
    docs = []
    for i, row in enumerate(wo.to_dict("records")):
        fields = {
            **{k: row[k] for k in CODE_FIELDS},
            "components": components.get(row["collection"], ()),
            "preventive": bool(preventive[i]),
            "priority": None if np.isnan(priority[i]) else int(priority[i]),
            "duration_hours": float(duration[i]),
            "labour_hours": float(labour[i]),
        }
        docs.append(
            Document(
                doc_id=row["wo_id"],
                kind="work_order",
                text=row["wo_description"],
                asset_id=row["equipment_id"],
                time=pd.Timestamp(time[i]),
                fields=fields,
            )
        )
    return docs


def _alerts(tables: dict[str, pd.DataFrame], path: Path) -> list[Event]:
    alerts = tables["alerts"]
    start = time_column(alerts, "start_time", path, fmt=STAMP, unique=False)
    end = time_column(alerts, "end_time", path, fmt=STAMP, unique=False)
    rules = dict(zip(tables["alert_rules"]["rule_id"], tables["alert_rules"]["rule_name"], strict=True))
    codes = _grouped(tables["alert_rule_failure_codes"], "rule_id", "primary_code")
    # Meter names differ in case only between the rule map and meter.csv.
    rule_meters = tables["alert_rule_meters"].assign(meter=lambda f: f["meter"].str.lower())
    meters = _grouped(rule_meters, "rule_id", "meter")
    component_of = dict(
        zip(tables["meters"]["meter"].str.lower(), tables["meters"]["component"], strict=True)
    )
    events = []
    for i, (eid, rule) in enumerate(zip(alerts["equipment_id"], alerts["rule_id"], strict=True)):
        if rule not in rules:
            raise DataFormatError(
                path,
                f"rule {rule!r} is not in alert_rule.csv (rules {sorted(rules)})",
                line=i + 2,
                column="rule_id",
            )
        if end[i] < start[i]:
            raise DataFormatError(path, "the alert ends before it starts", line=i + 2, column="end_time")
        linked = meters.get(rule, ())
        fields = {
            "rule_name": rules[rule],
            "failure_codes": codes.get(rule, ()),
            "meters": linked,
            "components": tuple(dict.fromkeys(component_of[m] for m in linked if m in component_of)),
        }
        events.append(
            Event(
                event_id=f"alert-{i:04d}",
                asset_id=eid,
                kind="alarm",
                label=rule,
                start=pd.Timestamp(start[i]),
                end=pd.Timestamp(end[i]),
                fields=fields,
            )
        )
    return events


def _anomalies(tables: dict[str, pd.DataFrame], path: Path, id_of_name: dict[str, str]) -> list[Event]:
    frame = tables["anomalies"]
    time = time_column(frame, "timestamp", path, fmt=STAMP, unique=False)
    value, upper, lower, score = (
        numeric_column(frame, c, path, allow_missing=False)
        for c in ("value", "upper_bound", "lower_bound", "anomaly_score")
    )
    # Our reading of the KPI map: High = above the upper bound, Low = below the lower bound; the
    # direction is computed here because the event log's label disagrees with the values in 77 rows.
    direction = np.where(value > upper, "High", np.where(value < lower, "Low", "within"))
    kpi_map = tables["anomaly_failure_codes"]
    primary = _grouped(kpi_map, ["kpi_name", "anomaly_type"], "primary_code")
    secondary = _grouped(kpi_map, ["kpi_name", "anomaly_type"], "secondary_code")
    events = []
    for i, (kpi, asset) in enumerate(zip(frame["KPI"], frame["asset_name"], strict=True)):
        if asset.lower() not in id_of_name:
            raise DataFormatError(
                path,
                f"asset {asset!r} is not one of the chillers {sorted(id_of_name)}",
                line=i + 2,
                column="asset_name",
            )
        key = (kpi, str(direction[i]))
        fields = {
            "kpi": kpi,
            "value": float(value[i]),
            "upper_bound": float(upper[i]),
            "lower_bound": float(lower[i]),
            "anomaly_score": float(score[i]),
            "direction": key[1],
            "failure_codes": primary.get(key, ()),
            "secondary_codes": secondary.get(key, ()),
        }
        events.append(
            Event(
                event_id=f"anomaly-{i:04d}",
                asset_id=id_of_name[asset.lower()],
                kind="anomaly",
                label=kpi,
                start=pd.Timestamp(time[i]),
                end=pd.Timestamp(time[i]),
                fields=fields,
            )
        )
    return events


# Catalogue tables -> (kind of entry, the column that names an entry, the column of its text).
CATALOGUES = (
    ("failure_codes", "failure_code", "secondary_code", "secondary_code_description"),
    ("components", "component", "component", "explanation"),
    ("meters", "meter", "meter", "description"),
)


def _catalogue(tables: dict[str, pd.DataFrame]) -> list[Document]:
    docs = []
    for key, kind, name, text in CATALOGUES:
        for row in tables[key].to_dict("records"):
            entry = row[name].lower() if kind == "meter" else row[name]  # meters are matched lower-cased
            docs.append(
                Document(
                    doc_id=f"{kind}:{entry}",
                    kind="catalogue",
                    text=row[text],
                    fields={"catalogue": kind, **{str(k): v for k, v in row.items()}},
                )
            )
    return docs


def _fmea(tables: dict[str, pd.DataFrame]) -> list[Document]:
    docs = []
    for i, row in enumerate(tables["failure_modes"].to_dict("records")):
        fields = {
            "equipment_class": row["Equipment"],
            "failure_mode": row["Failure Mode"],
            "mechanism": row["Degradation Mechanism"],
            "factors": row["Influencing Factors"],
        }
        text = f"{row['Equipment']}: {row['Failure Mode']}. Mechanism: {row['Degradation Mechanism']}."
        docs.append(Document(doc_id=f"fmea-{i:03d}", kind="fmea", text=text, fields=fields))
    return docs
