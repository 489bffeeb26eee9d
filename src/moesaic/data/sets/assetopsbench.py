"""IBM AssetOpsBench sample data: 11 linked chillers (Patel et al., AssetOpsBench, arXiv:2506.03828, 2025).

The one public set here where the same assets appear in every modality, and the links are kept:

- assets: the 11 chillers, ``asset_id`` = ``equipment_id`` (CWC04006 is "Chiller 6");
- series: Chiller 6 in June 2020, 12 signals every 15 min (the CouchDB JSON), each signal linked
  to its meter in ``meta["meters"]`` where one exists;
- documents: 4,249 work orders (failure codes, collection → components), the catalogues
  (failure codes, components, meters), the class-level FMEA table and the 141 agent scenarios;
- events: 1,466 rule alerts (rule → failure codes, meters, components) and 541 KPI anomalies of
  Chiller 9 (direction from value vs bounds → failure codes);
- meta: the raw link tables and the unified event log, with ``record_id`` pointing each
  WORK_ORDER row at its work order.

The work orders, alerts, KPI anomalies, catalogues and FMEA rows are built from the tables in
:mod:`moesaic.data.sets._assetopsbench_records`; its public names are re-exported here.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd

from moesaic.data.registry import DatasetInfo
from moesaic.data.schema import Asset, Document, MaintenanceData, Series
from moesaic.data.sets._assetopsbench_records import (
    CATALOGUES,
    CODE_FIELDS,
    STAMP,
    _alerts,
    _anomalies,
    _catalogue,
    _fmea,
    _work_orders,
)
from moesaic.data.sets._json import is_number, read_json_checked, require_list, require_mapping
from moesaic.data.tables import DataFormatError, read_csv_checked, read_text_checked
from moesaic.data.times import time_column

__all__ = [
    "CATALOGUES",
    "CODE_FIELDS",
    "INFO",
    "LINK_TABLES",
    "SCENARIO_FILE",
    "SCENARIO_GROUPS",
    "SENSOR_FILE",
    "SITE",
    "STAMP",
    "TABLES",
    "load",
    "read_scenarios",
    "read_tables",
]

logger = logging.getLogger(__name__)

SITE = "MAIN"  # the site name the scenarios use; no data file has a site column
SENSOR_FILE = "chiller6_june2020_sensordata_couchdb.json"
SCENARIO_FILE = "scenarios/all_utterance.jsonl"

# meta key -> (file under sample_data/, required columns). Every cell is read as text.
# fmt: off
TABLES = {
    "work_orders": ("all_wo_with_code_component_events.csv", (
        "wo_id", "wo_description", "collection", "primary_code", "primary_code_description", "secondary_code",
        "secondary_code_description", "equipment_id", "equipment_name", "preventive", "work_priority",
        "actual_finish", "duration", "actual_labor_hours")),
    "event_log": ("event.csv", ("event_id", "event_group", "event_category", "event_type", "description",
                                "equipment_id", "equipment_name", "event_time", "note")),
    "alerts": ("alert_events.csv", ("equipment_id", "equipment_name", "rule_id", "start_time", "end_time")),
    "anomalies": ("anomaly_events.csv", ("timestamp", "KPI", "asset_name", "value", "upper_bound",
                                         "lower_bound", "anomaly_score")),
    "failure_codes": ("failure_codes.csv", ("category", "primary_code", "primary_code_description",
                                            "secondary_code", "secondary_code_description")),
    "primary_failure_codes": ("primary_failure_codes.csv", ("category", "primary_code",
                                                            "primary_code_description")),
    "alert_rules": ("alert_rule.csv", ("rule_id", "rule_name", "rule_logic")),
    "alert_rule_failure_codes": ("alert_rule_failure_code_mapping.csv", ("rule_id", "primary_code")),
    "alert_rule_meters": ("alert_rule_meter_mapping.csv", ("rule_id", "meter")),
    "anomaly_failure_codes": ("anomaly_to_failure_code_mapping.csv",
                              ("kpi_name", "anomaly_type", "primary_code", "secondary_code")),
    "meters": ("meter.csv", ("meter", "component", "measurement", "unit", "description", "calculated",
                             "formula")),
    "components": ("component.csv", ("equipment", "component", "explanation")),
    "collection_components": ("collection_component_mapping.csv", ("collection", "component")),
    "failure_modes": ("failure_mode.csv", ("Equipment", "Failure Mode", "Degradation Mechanism",
                                           "Influencing Factors")),
}
# Scenario id ranges -> the agent they test (README table).
SCENARIO_GROUPS = (((1, 99), "IoT"), ((100, 199), "FMSR"), ((200, 299), "TSFM"), ((400, 499), "work order"),
                   ((500, 699), "end-to-end"))
# fmt: on
# The tables that travel as they are in ``meta``, counted in ``meta["counts"]`` by their row numbers.
LINK_TABLES = tuple(key for key in TABLES if key not in ("work_orders", "alerts", "anomalies", "event_log"))


def read_tables(sample_dir: Path) -> dict[str, pd.DataFrame]:
    """Every CSV of ``sample_data/`` as text frames (stripped, "" for empty), keyed as in :data:`TABLES`.

    A leading BOM is dropped by the checked reader, and ``index_col=False`` keeps ``alert_rule.csv``
    (one more comma per data row than in its header) aligned with its header.
    """
    tables = {}
    for key, (name, required) in TABLES.items():
        frame = read_csv_checked(sample_dir / name, required=required, dtype=str, index_col=False)
        tables[key] = frame.fillna("").apply(lambda column: column.str.strip())
    return tables


def _assets(tables: dict[str, pd.DataFrame], sample_dir: Path) -> tuple[Asset, ...]:
    """The chillers named in the work orders, alerts and event log; id <-> name must be 1:1."""
    names: dict[str, str] = {}
    ids: dict[str, str] = {}
    for key in ("work_orders", "alerts", "event_log"):
        frame = tables[key]
        for pos, (eid, name) in enumerate(zip(frame["equipment_id"], frame["equipment_name"], strict=True)):
            if names.setdefault(eid, name) != name or ids.setdefault(name.lower(), eid) != eid:
                raise DataFormatError(
                    sample_dir / TABLES[key][0],
                    f"equipment {eid!r} is named {name!r} here "
                    f"but {names[eid]!r} elsewhere (or the name belongs to "
                    f"{ids[name.lower()]!r}); ids and names must match one to one",
                    line=pos + 2,
                    column="equipment_id",
                )
    return tuple(Asset(eid, "Chiller", {"name": names[eid], "site": SITE}) for eid in sorted(names))


def _sensor_series(path: Path, id_of_name: dict[str, str], meter_names: set[str]) -> list[Series]:
    """One series per asset of a CouchDB bulk-docs array; each signal loses its ``<asset name> `` prefix.

    A signal left out of a record is NaN (not observed) at that time.
    """
    items = require_list(read_json_checked(path), path, "the sensor records")
    frame = pd.DataFrame([require_mapping(item, path, f"record {i}") for i, item in enumerate(items)])
    for key in ("asset_id", "timestamp"):
        bad = ~frame[key].map(lambda v: isinstance(v, str)) if key in frame else pd.Series([True])
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataFormatError(
                path,
                f"record {pos}: field {key!r} must be text, found "
                f"{frame[key].iloc[pos] if key in frame else 'nothing'!r}",
            )
    series = []
    for name, group in frame.groupby("asset_id", sort=False):
        if str(name).lower() not in id_of_name:
            raise DataFormatError(
                path,
                f"record {group.index[0]}: asset {name!r} is not one of the chillers {sorted(id_of_name)}",
            )
        keys = [k for k in group.columns if k not in ("asset_id", "timestamp") and group[k].notna().any()]
        for key in keys:
            bad = group[key].map(lambda v: v is not None and v == v and not is_number(v))  # v == v: not NaN
            if bad.any():
                pos = group.index[int(np.flatnonzero(bad.to_numpy())[0])]
                raise DataFormatError(
                    path,
                    f"record {pos}: field {key!r} must be a finite number or absent, "
                    f"found {frame.at[pos, key]!r}",
                )
        stamps = pd.to_datetime(group["timestamp"], format="%Y-%m-%dT%H:%M:%S", errors="coerce")
        if stamps.isna().any():
            pos = group.index[int(np.flatnonzero(stamps.isna().to_numpy())[0])]
            raise DataFormatError(
                path,
                f"record {pos}: expected a timestamp like 2020-06-01T00:00:00, "
                f"found {frame.at[pos, 'timestamp']!r}",
            )
        # The last records are change-of-value samples out of time order: sort (stably) by time.
        order = np.argsort(stamps.to_numpy(), kind="stable")
        time = stamps.to_numpy(dtype="datetime64[ns]")[order]
        if np.any(np.diff(time) == np.timedelta64(0)):
            raise DataFormatError(
                path, f"asset {name!r} has a repeated timestamp; each time must appear once"
            )
        values = group[keys].iloc[order].astype(float).reset_index(drop=True)
        values.columns = [k.removeprefix(f"{name} ") for k in keys]
        asset_id = id_of_name[str(name).lower()]
        meters = {c: c.lower() for c in values.columns if c.lower() in meter_names}
        series.append(
            Series.from_frame(
                values,
                series_id=f"{asset_id}/{str(time[0])[:7]}",
                asset_id=asset_id,
                time=time,
                meta={"source": str(path), "asset_name": name, "freq": "15min", "meters": meters},
            )
        )
    return series


def read_scenarios(path: Path) -> list[Document]:
    """The agent scenarios of a JSON-lines file (``id``, ``text`` + optional fields), one document each."""
    docs = []
    for line_no, line in enumerate(read_text_checked(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataFormatError(
                path, f"not valid JSON: {err.msg} (column {err.colno})", line=line_no
            ) from None
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("id"), int)
            or not isinstance(item.get("text"), str)
        ):
            raise DataFormatError(
                path, "expected an object with an integer 'id' and a text 'text'", line=line_no
            )
        group = next((g for (lo, hi), g in SCENARIO_GROUPS if lo <= item["id"] <= hi), "other")
        fields = {
            "id": item["id"],
            "group": group,
            "deterministic": item.get("deterministic"),
            **{k: item.get(k, "") for k in ("type", "category", "characteristic_form", "note")},
        }
        docs.append(
            Document(doc_id=f"scenario-{item['id']}", kind="scenario", text=item["text"], fields=fields)
        )
    return docs


def _link_event_log(tables: dict[str, pd.DataFrame], path: Path) -> pd.DataFrame:
    """The event log with parsed times and ``record_id``: the work order of each WORK_ORDER row."""
    log = tables["event_log"].copy()
    log["event_time"] = time_column(log, "event_time", path, unique=False)
    wo_ids = set(tables["work_orders"]["wo_id"])

    def record(group: str, event_id: str) -> str:
        if group != "WORK_ORDER":
            return ""
        # One id is written WO-16170 in the log and WO16170 in the work-order file.
        return next((c for c in (event_id, event_id.replace("WO-", "WO", 1)) if c in wo_ids), "")

    log["record_id"] = [record(g, e) for g, e in zip(log["event_group"], log["event_id"], strict=True)]
    orphans = int(((log["event_group"] == "WORK_ORDER") & (log["record_id"] == "")).sum())
    if orphans:
        logger.warning("%s: %d WORK_ORDER rows name no known work order", path, orphans)
    return log


def load(folder: Path) -> MaintenanceData:
    sample_dir = Path(folder) / "sample_data"
    tables = read_tables(sample_dir)
    assets = _assets(tables, sample_dir)
    id_of_name = {a.attributes["name"].lower(): a.asset_id for a in assets}
    series = _sensor_series(sample_dir / SENSOR_FILE, id_of_name, set(tables["meters"]["meter"].str.lower()))
    work_orders = _work_orders(tables, sample_dir / TABLES["work_orders"][0])
    alerts = _alerts(tables, sample_dir / TABLES["alerts"][0])
    anomalies = _anomalies(tables, sample_dir / TABLES["anomalies"][0], id_of_name)
    scenarios = read_scenarios(Path(folder) / SCENARIO_FILE)
    log = _link_event_log(tables, sample_dir / TABLES["event_log"][0])
    # README: MT001c and MT017a are work-order secondary codes missing from the catalogue.
    unmatched = sorted(
        {d.fields["secondary_code"] for d in work_orders} - set(tables["failure_codes"]["secondary_code"])
    )
    counts = {
        "work_orders": len(work_orders),
        "alerts": len(alerts),
        "anomalies": len(anomalies),
        "event_log": len(log),
        "chillers": len(assets),
        "sensor_records": sum(s.length for s in series),
        "sensor_signals": sum(len(s.channels) for s in series),
        "scenarios": len(scenarios),
        "event_log_work_orders_linked": int((log["record_id"] != "").sum()),
        **{key: len(tables[key]) for key in LINK_TABLES},
    }
    meta = {
        **{key: tables[key] for key in LINK_TABLES},
        "event_log": log,
        "counts": counts,
        "unmatched_secondary_codes": unmatched,
        "site": SITE,
    }
    documents = (*work_orders, *_catalogue(tables), *_fmea(tables), *scenarios)
    return MaintenanceData(
        name="assetopsbench",
        assets=assets,
        series=tuple(series),
        events=(*alerts, *anomalies),
        documents=documents,
        meta=meta,
    )


# fmt: off
INFO = DatasetInfo(
    name="assetopsbench",
    modality="timeseries+events+text+table (linked)",
    description="IBM AssetOpsBench sample: 11 chillers linked across sensors (Chiller 6, June 2020), "
                "4,249 work orders, 1,466 alerts, 541 anomalies, failure-code maps, 141 scenarios",
    licence="Apache-2.0 (upstream metadata files disagree ⚠)",
    citation="Patel, Lin, Rayfield, Zhou et al., AssetOpsBench: Benchmarking AI Agents for Task Automation "
             "in Industrial Asset Operations and Maintenance, arXiv:2506.03828, 2025",
    loader=load,
    # README "Files" table and "How the files link"; documents = 4,249 work orders + 143 failure codes
    # + 14 components + 22 meters + 53 FMEA rows + 141 scenarios; events = 1,466 alerts + 541 anomalies.
    expected={"assets": 11, "series": 1, "series_steps": 2896, "events": 2007, "documents": 4622,
              "work_orders": 4249, "alerts": 1466, "anomalies": 541, "event_log": 6256, "chillers": 11,
              "sensor_records": 2896, "sensor_signals": 12, "scenarios": 141, "failure_codes": 143,
              "primary_failure_codes": 67, "alert_rules": 19, "alert_rule_failure_codes": 34,
              "alert_rule_meters": 41, "anomaly_failure_codes": 16, "meters": 22, "components": 14,
              "collection_components": 19, "failure_modes": 53, "event_log_work_orders_linked": 4249},
)
# fmt: on
