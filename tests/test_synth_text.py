"""Conditions asked for in words: read as known factor values, or learned from work-order texts."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from moesaic.data.schema import Asset, Document, Series
from moesaic.eval.bench import OptionError, SuiteContext
from moesaic.eval.suites import synthesis_text
from moesaic.tasks.synth import texts as texts_module
from moesaic.tasks.synth.conditions import ConditionSpec, category, condition_windows, fitted_channels
from moesaic.tasks.synth.text_condition import parse_text_condition
from moesaic.tasks.synth.texts import kept_texts

SPEC = ConditionSpec(
    categorical=(
        ("asset", ("P-3", "P-4")),
        ("fault", ("bearing_wear", "none", "seal_leak", "sensor_spike", "sensor_stuck")),
        ("regime", ("high", "low", "normal")),
    ),
    numeric=(("severity", 0.5, 0.2),),
)


def test_a_request_in_words_names_every_factor_it_mentions() -> None:
    read = parse_text_condition("Slow seal leak on pump P-3 at high load, severity 0.7", SPEC)
    assert read.condition == {"fault": "seal_leak", "asset": "P-3", "regime": "high", "severity": 0.7}
    assert read.matched["fault"] == "seal leak" and read.matched["severity"] == "severity 0.7"
    assert read.unused == ("slow", "on", "pump", "at", "load")


def test_a_word_of_one_value_only_names_it_and_a_shared_word_names_nothing() -> None:
    assert parse_text_condition("a leak at low load", SPEC).condition == {
        "fault": "seal_leak",
        "regime": "low",
    }
    read = parse_text_condition("some sensor trouble at high load", SPEC)  # sensor_spike or sensor_stuck
    assert read.condition == {"regime": "high"} and "sensor" in read.unused


def test_two_values_of_one_factor_or_none_at_all_are_refused() -> None:
    with pytest.raises(ValueError, match="two values of 'regime'"):
        parse_text_condition("from high to low load", SPEC)
    with pytest.raises(ValueError, match="no known condition in 'a quiet day'; the model knows"):
        parse_text_condition("a quiet day", SPEC)


def test_coded_values_are_found_by_their_names() -> None:
    spec = ConditionSpec(categorical=(("fault", ("0", "3", "5")),))
    names = {"fault": {"3": "seal_leak", "5": "sensor_spike"}}
    assert parse_text_condition("seal leak please", spec, names).condition == {"fault": "3"}
    read = parse_text_condition("IDV fault 5", spec, names)
    assert (
        read.condition == {"fault": "5"} and read.matched == {"fault": "fault 5"} and read.unused == ("idv",)
    )


def test_reported_windows_carry_their_fault_report_and_healthy_windows_none() -> None:
    data = synthesis_text.reported_windows(assets=4, days=60, seed=0)
    assert len(data.windows) == len(data.texts) == len(data.fault) == len(data.episode)
    healthy = data.fault == "none"
    assert not any(t for t, h in zip(data.texts, healthy, strict=True) if h)
    assert all(e == "" for e in data.episode[healthy])
    texts_of = {}
    for episode, text in zip(data.episode, data.texts, strict=True):
        texts_of.setdefault(episode, set()).add(text)
    assert all(len(t) == 1 for t in texts_of.values())  # one report per fault, on all its windows
    assert any(data.texts), "a plant at this fault rate has reported faults"


def test_synthesis_text_suite_scores_every_system_on_unseen_reports() -> None:
    options = {"assets": "6", "days": "90", "steps": "5", "minilm": "no"}
    rows = synthesis_text.run(SuiteContext(quick=True, options=options))
    by = {(r.system, r.metric): r.value for r in rows}
    systems = {"moesaic-text", "moesaic-no-text", "parse_text", "moesaic-fault", "real_fault"}
    systems |= {"nearest_report", "moesaic-text-guided"}
    assert {s for s, _ in by} == systems
    assert by[("real_fault", "signature_error")] == 0
    assert all(0 <= by[(s, "fault_accuracy")] <= 1 for s in systems)
    assert 0 <= by[("parse_text", "read_share")] <= 1 and by[("moesaic-text", "reports")] >= 1
    with pytest.raises(OptionError, match="minilm must be yes or no"):
        synthesis_text.run(SuiteContext(quick=True, options={"minilm": "maybe"}))


def test_a_window_reads_the_documents_of_its_asset_dated_inside_it() -> None:
    time = pd.date_range("2024-01-01", periods=8, freq="h").to_numpy()
    values = np.zeros((8, 1), dtype=np.float32)
    pump = Series("s1", "P-1", time, values, ("flow",), np.ones((8, 1), dtype=bool))
    counted = Series("s2", "P-1", np.arange(8), values, ("flow",), np.ones((8, 1), dtype=bool))
    docs = [
        Document("w2", "work_order", "seal dripping", asset_id="P-1", time=pd.Timestamp("2024-01-01 05:00")),
        Document("w1", "work_order", "noisy", asset_id="P-1", time=pd.Timestamp("2024-01-01 01:00")),
        Document("w3", "work_order", "other pump", asset_id="P-2", time=pd.Timestamp("2024-01-01 01:00")),
        Document("w4", "work_order", "no date", asset_id="P-1"),
        Document("w5", "work_order", "seal changed", asset_id="P-1", time=pd.Timestamp("2024-01-01 03:00")),
    ]
    cut = condition_windows([pump, counted], window=4, stride=4, by=(), documents=docs)
    assert cut.texts == ["noisy | seal changed", "seal dripping", "", ""]  # step-indexed series: none
    assert condition_windows([pump], window=4, stride=4, by=()).texts is None
    reach = np.timedelta64(2, "h")  # the report at 05:00 also describes the window 00:00-03:00
    cut = condition_windows([pump], window=4, stride=4, by=(), documents=docs, text_reach=reach)
    assert cut.texts == ["noisy | seal changed | seal dripping", "seal dripping"]
    with pytest.raises(ValueError, match="`text_reach` must not be negative"):
        condition_windows([pump], window=4, stride=4, by=(), documents=docs, text_reach=-reach)


def test_a_window_takes_factors_from_labels_metadata_then_the_asset_table(
    caplog: pytest.LogCaptureFixture,
) -> None:
    time = pd.date_range("2024-01-01", periods=8, freq="h").to_numpy()
    values, seen = np.zeros((8, 1), dtype=np.float32), np.ones((8, 1), dtype=bool)
    labels = {"anomaly": np.array([0, 0, 0, 0, 1, 1, 1, 0], dtype=float)}
    pump = Series("s1", "P-1", time, values, ("flow",), seen, labels=labels, meta={"site": "north"})
    fan = Series("s2", "F-1", time, values, ("flow",), seen, meta={"site": "south"})
    assets = [Asset("P-1", "pump", {"age_years": 3}), Asset("F-1", "fan", {"age_years": 11.5})]
    by = ("anomaly", "site", "asset_type", "age_years")
    cut = condition_windows([pump, fan], window=4, stride=4, by=by, assets=assets)
    assert cut.conditions[1] == {
        "anomaly": category(1),
        "site": "north",
        "asset_type": "pump",
        "age_years": category(3),
    }
    assert cut.conditions[2] == {
        "site": "south",
        "asset_type": "fan",
        "age_years": 11.5,
    }  # no label: left out
    other = Series(
        "s3", "G-1", time, np.zeros((8, 2), dtype=np.float32), ("flow", "temp"), np.ones((8, 2), bool)
    )
    with caplog.at_level(logging.WARNING, logger="moesaic.tasks.synth.conditions"):
        condition_windows([pump, fan, other], window=4, stride=4, by=(), assets=assets)
    # s3 holds 'flow' too: all three series are learnt on it, 'temp' is not
    said = "learning ['flow'] (the set that keeps the most readings); channels not learnt: temp"
    assert said in caplog.text
    assert "left out" not in caplog.text
    offered = r"factor\(s\) \['fault'\]; the data offers: age_years, anomaly, asset_type, site"
    with pytest.raises(ValueError, match=offered):
        condition_windows([pump, fan], window=4, stride=4, by=("fault",), assets=assets)
    # A factor is found whatever its letter case, and named as the data names it.
    cased = condition_windows([pump, fan], window=4, stride=4, by=("Site", "ASSET_TYPE"), assets=assets)
    assert cased.conditions[0] == {"site": "north", "asset_type": "pump"}


def test_kept_texts_are_distinct_non_blank_most_frequent_first_and_capped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert kept_texts(["b", "a", "b", "", "  ", "c", "a", "b"]) == ("b", "a", "c")
    monkeypatch.setattr(texts_module, "MAX_KEPT_TEXTS", 2)
    assert kept_texts(["y", "x", "z", "z"]) == ("z", "x")  # ties alphabetically


def test_a_window_with_one_anomalous_step_is_an_anomalys_window() -> None:
    labels = np.zeros(40, dtype=np.int64)
    labels[5] = 1  # a spike in the first window
    labels[20:40] = 2  # a lasting fault from the middle of the third window on
    labels[20:22] = 0
    series = Series(
        series_id="p", asset_id="P-1", time=np.arange(40), values=np.zeros((40, 1)),
        observed=np.ones((40, 1), dtype=bool), channels=("a",), labels={"fault": labels},
    )  # fmt: skip
    cut = condition_windows([series], window=10, stride=10, by=("fault",))
    assert [c["fault"] for c in cut.conditions] == ["1", "0", "2", "2"]  # majority: 0, 0, 2, 2


def test_a_status_column_of_a_file_is_a_condition(tmp_path: Path) -> None:
    from moesaic.data.readers import read_series_file

    rows = [f"2026-03-01 {h:02d}:00,{'RUN' if h < 12 else 'STANDBY'},{h}.5" for h in range(24)]
    path = tmp_path / "s.csv"
    path.write_text("time,status,temp\n" + "\n".join(rows) + "\n")
    series = read_series_file(path, skip_text=True, text_labels=True)
    assert (
        series.channels == ("temp",) and list(series.labels["status"][10:14]) == ["RUN"] * 2 + ["STANDBY"] * 2
    )
    cut = condition_windows([series], window=6, stride=6, by=("status",))
    assert [c["status"] for c in cut.conditions] == ["RUN", "RUN", "STANDBY", "STANDBY"]


def _series(name: str, channels: tuple[str, ...], steps: int = 10) -> Series:
    time = pd.date_range("2024-01-01", periods=steps, freq="h").to_numpy()
    values = np.tile(np.arange(len(channels), dtype=np.float32), (steps, 1))  # column i holds i
    return Series(name, name, time, values, channels, np.ones(values.shape, dtype=bool))


def test_series_of_several_asset_types_are_learnt_on_the_channels_that_keep_most_readings() -> None:
    # user report: a plant of pumps, fans and motors was learnt on the motors alone, so
    # `--by asset_type` took one value and "a seal leak on a pump" was refused
    pumps = [_series(f"P-{i}", ("a", "b", "c", "d")) for i in range(2)]
    fans = [_series(f"F-{i}", ("e", "d", "c", "b")) for i in range(2)]
    odd = _series("X-1", ("c", "d", "x"))
    # {a,b,c,d}: 4 x 20 readings, {b,c,d}: 3 x 40 = 120, {c,d}: 2 x 50 = 100
    assert fitted_channels([*pumps, *fans, odd]) == ("b", "c", "d")
    # one odd file beside three alike: the three keep their channels
    alike = [_series(f"S-{i}", ("t", "p", "f")) for i in range(3)]
    assert fitted_channels([*alike, _series("T-1", ("t",))]) == ("t", "p", "f")
    cut = condition_windows([*pumps, *fans, odd], window=5, stride=5, by=())
    assert cut.channels == ("b", "c", "d") and cut.windows.shape == (8, 5, 3)
    assert cut.windows[0, 0].tolist() == [1.0, 2.0, 3.0]  # a pump's b, c, d columns
    assert cut.windows[4, 0].tolist() == [3.0, 2.0, 1.0]  # a fan's, taken in the same order
