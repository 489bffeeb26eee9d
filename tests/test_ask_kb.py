"""``moesaic ask --kb``: routed questions over a tiny base, each answer checked against a direct count."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from moesaic.cli.ask import ask
from moesaic.data.schema import Asset, Document, Drawing, Event, MaintenanceData, Series
from moesaic.data.simulator import SimulatorConfig, load_plant, simulate_to
from moesaic.knowledge import KnowledgeBase
from moesaic.reports.ask import KbAnswerer, RecordCitation, SeriesCitation
from moesaic.reports.ask.onsets import without_daily_cycle
from moesaic.reports.ask.retrieve import fit_threshold
from moesaic.reports.ask.sequence import _next_records
from moesaic.reports.ask.timewords import read_window
from moesaic.reports.ask.trendtest import change_point, trend_test

START = pd.Timestamp("2024-01-01")
HOURS = 24 * 40


def _lab() -> MaintenanceData:
    """Hand-made records with known answers: a ramp and a flat channel, a step, a leak history."""
    rng = np.random.default_rng(0)
    time = pd.date_range(START, periods=HOURS, freq="h").to_numpy()
    days = np.arange(HOURS) / 24
    ramp = 10 + 0.2 * days + rng.normal(0, 0.5, HOURS)  # +0.2 per day
    flat = 10 + rng.normal(0, 0.5, HOURS)
    step = np.where(np.arange(HOURS) >= 500, 14.0, 10.0) + rng.normal(0, 0.5, HOURS)
    frame = pd.DataFrame({"ramp": ramp, "flat": flat, "step": step})
    series = Series.from_frame(
        frame, series_id="T-7/s", asset_id="T-7", time=time, meta={"units": {"ramp": "bar"}}
    )
    leak = Event(
        "EV-1", "T-7", "fault", "seal leak", START + pd.Timedelta(days=3), START + pd.Timedelta(days=4)
    )
    work = [  # after the leak: seal replaced twice within 30 days, shaft once, and a seal 60 days later
        ("W-1", 5, "seal", "REPLACE"), ("W-2", 9, "shaft", "REPLACE"), ("W-3", 20, "seal", "REPLACE"),
        ("W-4", 25, "guard", "INSPECT"), ("W-5", 63, "seal", "REPLACE"),
    ]  # fmt: skip
    documents = tuple(
        Document(i, "work_order", f"{action} {part} on T-7", "T-7", START + pd.Timedelta(days=d),
                 {"component": part, "action": action, "cost": 100.0})
        for i, d, part, action in work
    )  # fmt: skip
    title = {"part_number": "TS-7001", "part_name": "TEST SHAFT", "material": "42CrMo4", "revision": "C"}
    bearing = {
        "item": 1,
        "part_number": "TS-BR-6205",
        "description": "BALL BEARING 6205",
        "material": "100Cr6",
    }
    drawing = Drawing(
        "DWG-TS-7001",
        Path("DWG-TS-7001.png"),
        title_block=title,
        fields={"asset_ids": ["T-7"], "bom": [bearing]},
    )
    return MaintenanceData(
        "lab", assets=(Asset("T-7", "test rig", {"name": "Seal Rig 7"}),), series=(series,), events=(leak,),
        documents=documents, drawings=(drawing,),
    )  # fmt: skip


@pytest.fixture(scope="module")
def plant(tmp_path_factory: pytest.TempPathFactory) -> MaintenanceData:
    folder = tmp_path_factory.mktemp("plant") / "p"
    simulate_to(SimulatorConfig(num_assets=3, days=40, seed=5, fault_rate=12.0, drawings=False), folder)
    return load_plant(folder)


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, plant: MaintenanceData) -> Path:
    path = tmp_path_factory.mktemp("kb") / "kb"
    with KnowledgeBase.open(path, create=True, embedder="hashing") as base:
        base.ingest(plant, source="plant")
        base.ingest(_lab(), source="lab")
    return path


@pytest.fixture(scope="module")
def answerer(folder: Path) -> KbAnswerer:
    return KbAnswerer(KnowledgeBase.open(folder))


def _work_orders(plant: MaintenanceData) -> list[Document]:
    return [d for d in plant.documents if d.kind == "work_order"]


def test_count_by_asset_and_month_matches_a_direct_count(
    answerer: KbAnswerer, plant: MaintenanceData
) -> None:
    orders = _work_orders(plant)
    asset = Counter(d.asset_id for d in orders).most_common(1)[0][0]
    mine = [d for d in orders if d.asset_id == asset]
    answer = answerer.answer(f"How many work orders for asset {asset}?")
    assert answer.kind == "records" and not answer.abstained
    assert answer.text.startswith(f"{len(mine)} work orders of plant:{asset}")
    assert {c.record_id for c in answer.citations} == {f"plant:{d.doc_id}" for d in mine}
    january = [d for d in orders if d.time is not None and d.time.month == 1]
    answer = answerer.answer("how many work orders in January 2024?")
    assert answer.text.startswith(f"{len(january) + 4} work orders")  # 4 of the lab's are in January


def test_most_frequent_value_per_asset_and_totals(answerer: KbAnswerer) -> None:
    answer = answerer.answer("which component appears most often in work orders of asset T-7?")
    assert "most frequent component is seal with 3 records" in answer.text
    assert all(isinstance(c, RecordCitation) and c.table == "documents" for c in answer.citations)
    assert len(answer.citations) == 3
    # The asset's name holds a component's name ("seal"): it names the asset, it filters nothing.
    assert answerer.answer("How many work orders for Seal Rig 7?").text.startswith(
        "5 work orders of lab:T-7."
    )
    total = answerer.answer("total cost of work orders for T-7")
    assert "total cost over 5 work orders of lab:T-7 is 500" in total.text


def test_component_replaced_most_often_after_a_failure_mode(answerer: KbAnswerer) -> None:
    answer = answerer.answer("Which component is replaced most often after a seal leak?")
    assert answer.kind == "records" and not answer.abstained
    assert "replaced most often is seal: 2 of 3 following records" in answer.text
    cited = {c.record_id for c in answer.citations}
    assert {"lab:EV-1", "lab:W-1", "lab:W-3"} <= cited and "lab:W-5" not in cited


def test_what_follows_a_record_named_by_its_id_lists_the_next_records(answerer: KbAnswerer) -> None:
    for name in ("EV-1", "lab:EV-1"):
        answer = answerer.answer(f"What follows {name}?")
        assert answer.kind == "records" and not answer.abstained, answer.text
        assert "after record lab:EV-1" in answer.text and "4 records follow on lab:T-7" in answer.text
        cited = [c.record_id for c in answer.citations]
        assert cited == ["lab:EV-1", "lab:W-1", "lab:W-2", "lab:W-3", "lab:W-4"]  # W-5 is 60 days on


def test_drawing_questions_cite_the_drawing(answerer: KbAnswerer) -> None:
    material = answerer.answer("What material is part TS-7001?")
    assert material.kind == "drawings" and "material 42CrMo4" in material.text
    assert material.citations == (RecordCitation("drawings", "lab:DWG-TS-7001"),)
    assert "revision C" in answerer.answer("revision of drawing DWG-TS-7001").text
    bom = answerer.answer("what material is part TS-BR-6205?")
    assert "100Cr6" in bom.text
    covering = answerer.answer("which drawings cover asset T-7?")
    assert "1 drawings cover lab:T-7" in covering.text


def test_trend_is_found_on_a_ramp_and_not_on_a_flat_channel(answerer: KbAnswerer) -> None:
    ramp = answerer.answer("Is there a trend in channel ramp of T-7?")
    assert ramp.kind == "series" and ramp.text.startswith(
        "Yes: ramp of lab:T-7, 2024-01-01 to 2024-02-09 23:00 has a rising trend"
    )
    slope = float(ramp.text.split("Theil-Sen slope ")[1].split()[0])
    assert slope == pytest.approx(0.2, abs=0.03)
    assert isinstance(ramp.citations[0], SeriesCitation) and ramp.citations[0].channel == "ramp"
    flat = answerer.answer("is there a trend in flat of T-7 last month?")
    assert flat.text.startswith(
        "No significant trend in flat of lab:T-7, 2024-01-09 23:00 to 2024-02-09 23:00"
    )
    assert flat.citations[0].start == pd.Timestamp("2024-01-09 23:00")  # a month before the last reading


def test_onset_from_events_else_from_the_series(answerer: KbAnswerer, plant: MaintenanceData) -> None:
    answer = answerer.answer("When did the anomaly start on T-7?")
    assert "started at 2024-01-04" in answer.text and answer.citations[0] == RecordCitation(
        "events", "lab:EV-1"
    )
    # Without events in the window the change point of the series is computed.
    computed = answerer.answer("when did the anomaly in step start on T-7 between 2024-01-10 and 2024-02-09?")
    # the channel steps up at hour 500: a step, not a ramp, dated at the shift itself
    assert (
        "the largest change, a step (it fits better than a ramp), in step is at 2024-01-21 20:00"
        in computed.text
    )
    assert "level-then-ramp" not in computed.text


def test_onset_of_an_excursion_on_a_channel_no_event_concerns(tmp_path: Path) -> None:
    """A 5-day excursion of 30 sigma is a change; an anomaly recorded on another channel does not date it."""
    rng = np.random.default_rng(3)
    time = pd.date_range(START, periods=HOURS, freq="h").to_numpy()
    vib = rng.normal(2.0, 0.1, HOURS)
    vib[480:600] += 3.0  # days 20 to 25, then back
    temp = rng.normal(60.0, 1.0, HOURS)
    series = Series.from_frame(
        pd.DataFrame({"vib": vib, "temp": temp}), series_id="F-2/s", asset_id="F-2", time=time
    )
    hot = Event(
        "EV-9", "F-2", "anomaly", "hot bearing", START + pd.Timedelta(days=32), START + pd.Timedelta(days=33),
        channels=("temp",),
    )  # fmt: skip
    data = MaintenanceData("site", assets=(Asset("F-2", "fan"),), series=(series,), events=(hot,))
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as base:
        base.ingest(data, source="site")
        answer = KbAnswerer(base).answer("when did the anomaly in vib start on F-2?")
    assert not answer.abstained
    assert answer.text.startswith("No event of site:F-2 concerns vib: its 1 event concerns other channels")
    excursion = "the change in vib starts at 2024-01-21 and ends at 2024-01-25 23:00, then the readings"
    assert excursion in answer.text
    assert RecordCitation("events", "site:EV-9") in answer.citations
    # The event of the channel asked about still answers.
    with KnowledgeBase.open(tmp_path / "kb") as base:
        hot_answer = KbAnswerer(base).answer("when did the anomaly in temp start on F-2?")
    assert "started at 2024-02-02" in hot_answer.text


def test_onset_from_the_files_own_labels_and_of_a_short_excursion(tmp_path: Path) -> None:
    """A 30-hour labelled anomaly is dated by its labels; a 36-hour excursion in 40 days is found."""
    rng = np.random.default_rng(4)
    time = pd.date_range(START, periods=HOURS, freq="h").to_numpy()
    oil = rng.normal(70.0, 0.5, HOURS)
    oil[400:430] += 12.0
    labels = {"anomaly": (np.arange(HOURS) >= 400) & (np.arange(HOURS) < 430)}
    vib = rng.normal(2.0, 0.1, HOURS)
    vib[700:736] += 3.0
    labelled = Series.from_frame(
        pd.DataFrame({"oil": oil}), series_id="C-2/s", asset_id="C-2", time=time,
        labels={k: v.astype(np.int8) for k, v in labels.items()},
    )  # fmt: skip
    plain = Series.from_frame(pd.DataFrame({"vib": vib}), series_id="P-9/s", asset_id="P-9", time=time)
    data = MaintenanceData("own", assets=(Asset("C-2", "compressor"), Asset("P-9", "pump")),
                           series=(labelled, plain))  # fmt: skip
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as base:
        base.ingest(data, source="own")
        answerer = KbAnswerer(base)
        by_labels = answerer.answer("when did the anomaly on C-2 start?")
        short = answerer.answer("when did the anomaly in vib of P-9 start?")
    start, end = pd.Timestamp(time[400]), pd.Timestamp(time[429])
    assert f"labelled 'anomaly' in the series of own:C-2 starts at {start:%Y-%m-%d %H:%M}" in by_labels.text
    assert by_labels.citations == (SeriesCitation("own:C-2", "oil", start, end),)
    assert f"the change in vib starts at {pd.Timestamp(time[700]):%Y-%m-%d %H:%M}" in short.text
    assert f"ends at {pd.Timestamp(time[735]):%Y-%m-%d %H:%M}" in short.text


def test_onset_trend_and_mean_of_a_machine_that_stops_at_night_read_its_runs(tmp_path: Path) -> None:
    """Bottling walkthrough: a feed pump stopped every night; its pressure's drop during a seal leak
    (9.5 to 8.2 bar while running) explained 1% of the variance of runs and stops together, and
    "when did the pressure drop" was declined."""
    rng = np.random.default_rng(5)
    time = pd.date_range(START, periods=HOURS, freq="h").to_numpy()
    hour = np.arange(HOURS) % 24
    running = (hour >= 6) & (hour < 22)
    flow = np.where(running, rng.normal(12.0, 0.2, HOURS), 0.0)
    pressure = np.where(running, rng.normal(9.5, 0.05, HOURS), 0.0)
    leak = np.arange(HOURS) >= 24 * 20 + 10
    leak &= np.arange(HOURS) < 24 * 21 + 9  # day 20 10:00 to day 21 09:00, across a night's stop
    pressure[leak & running] -= 1.3
    series = Series.from_frame(
        pd.DataFrame({"flow": flow, "pressure": pressure}), series_id="B-1/s", asset_id="B-1", time=time
    )
    data = MaintenanceData("site", assets=(Asset("B-1", "feed pump"),), series=(series,))
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as base:
        base.ingest(data, source="site")
        answerer = KbAnswerer(base)
        drop = answerer.answer("when did the pressure of B-1 drop?")
        mean = answerer.answer("what was the mean pressure of B-1 on 2024-01-21?")
        flat = answerer.answer("is there a trend in the flow of B-1?")
        hours = answerer.answer("How many hours was B-1 running on 2024-01-21?")
        downtime = answerer.answer("how many hours of downtime did B-1 have?")
    assert not drop.abstained, drop.text
    assert "computed from the series' running readings (site:B-1 stands still in 33% of the rows" in drop.text
    assert "starts at 2024-01-21 10:00 and ends at 2024-01-22 08:00" in drop.text
    day = running & (np.arange(HOURS) // 24 == 20)
    expected = float(np.mean(pressure[day]))
    assert f"mean {np.mean(pressure[np.arange(HOURS) // 24 == 20]):.4g}" in mean.text
    assert f"({expected:.4g} over its {int(day.sum())} running readings; site:B-1 stands still" in mean.text
    assert (
        flat.text.startswith("No significant trend in flow of site:B-1")
        and "running readings only" in flat.text
    )
    # "how many hours was it running": the day's running rows, 06:00 to 21:00, not a record count
    assert hours.kind == "series" and hours.text.startswith("site:B-1 ran for about 16 h on 2024-01-21")
    assert "16 of its 24 readings, 1 h apart, show it running" in hours.text
    assert downtime.kind != "series"  # downtime is no running time


def test_a_drop_hidden_by_a_daily_cycle_is_dated_once_the_cycle_is_taken_out(tmp_path: Path) -> None:
    """Water-station walkthrough: a dosing pump's flow follows the day's demand (12 to 16 l/h); a
    diaphragm's 20-hour drop to 4 l/h explained 1% of the variance and "when did it drop" was
    declined. A series without a daily cycle is read as before."""
    rng = np.random.default_rng(6)
    hours = 24 * 120
    time = pd.date_range(START, periods=hours, freq="h").to_numpy()
    demand = 14.0 + 2.0 * np.sin(2 * np.pi * (np.arange(hours) % 24) / 24)
    flow = demand + rng.normal(0.0, 0.3, hours)
    flow[2102:2122] = 4.0 + rng.normal(0.0, 0.3, 20)
    plain = rng.normal(14.0, 0.3, hours)
    frame = pd.DataFrame({"flow": flow, "plain": plain})
    series = Series.from_frame(frame, series_id="D-1/s", asset_id="D-1", time=time)
    data = MaintenanceData("site", assets=(Asset("D-1", "dosing pump"),), series=(series,))
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as base:
        base.ingest(data, source="site")
        answer = KbAnswerer(base).answer("when did the flow of D-1 drop?")
    assert not answer.abstained, answer.text
    assert "with its daily cycle taken out" in answer.text
    start, end = pd.Timestamp(time[2102]), pd.Timestamp(time[2121])
    assert f"starts at {start:%Y-%m-%d %H:%M} and ends at {end:%Y-%m-%d %H:%M}" in answer.text
    inside = f"mean {np.mean(flow[2102:2122]):.4g} inside"
    assert inside in answer.text  # the readings' own mean, not the cycle-free one
    assert without_daily_cycle(time, plain) is None


def test_series_statistics(answerer: KbAnswerer) -> None:
    answer = answerer.answer("what is the max value of ramp on T-7 in the last 7 days?")
    base = answerer.base
    values = base.series(asset_id="lab:T-7", start=pd.Timestamp("2024-02-02 23:00"))[0]
    top = float(np.nanmax(values.values[:, values.channels.index("ramp")]))
    assert f"maximum {top:.4g} bar" in answer.text


def test_fmea_questions_go_to_the_fmea_answerer(answerer: KbAnswerer) -> None:
    answer = answerer.answer("What is the RPN of the pump bearing?")
    assert answer.kind == "fmea" and not answer.abstained
    assert answer.rows and answer.citations[0] == RecordCitation("documents", answer.rows[0])
    assert "RPN" in answer.text


def test_unknown_names_and_nonsense_abstain(answerer: KbAnswerer) -> None:
    unknown = answerer.answer("how many work orders for asset P-999?")
    assert unknown.abstained and "P-999" in unknown.text and not unknown.citations
    assert answerer.answer("is there a trend in channel pressure of T-7?").abstained
    # "sensor <word>" names a channel only when written like a tag.
    about = answerer.answer("any work order about sensor failure?")  # words of the records, not a channel
    assert about.kind == "records" and about.text == "No work orders mentioning sensor failure.", about.text
    assert "sensor flux_9" in answerer.answer("is there a trend in sensor flux_9 of T-7?").text
    no_asset = answerer.answer("is there a trend in the vibration?")
    assert no_asset.abstained and no_asset.kind == "series" and "names no asset" in no_asset.text
    nonsense = answerer.answer("what about chocolate cake recipes for a birthday?")
    assert nonsense.abstained and nonsense.kind == "retrieval"
    found = answerer.answer("replace shaft on T-7")
    assert not found.abstained and found.kind == "retrieval"
    assert RecordCitation("documents", "lab:W-2") in found.citations


def test_time_phrases_count_back_from_the_data() -> None:
    anchor = pd.Timestamp("2024-03-31 12:00")
    assert read_window("last 7 days", anchor).start == pd.Timestamp("2024-03-24 12:00")  # type: ignore[union-attr]
    march = read_window("in March 2024", None)
    assert march is not None and march.start == pd.Timestamp("2024-03-01") and march.end.day == 31  # type: ignore[union-attr]
    assert read_window("last month", None) is None and read_window("how many?", anchor) is None


def test_trend_and_change_tests_on_noise() -> None:
    rng = np.random.default_rng(1)
    time = pd.date_range(START, periods=HOURS, freq="h").to_numpy()
    trend = trend_test(time, rng.normal(0, 1, HOURS))
    assert trend is not None and not trend.significant and trend.points == 40
    change = change_point(rng.normal(0, 1, 400))
    assert change is not None and change.gain < 0.1
    bump = rng.normal(0, 1, 400)
    bump[200:240] += 10.0
    excursion = change_point(bump)
    assert excursion is not None and (excursion.at, excursion.end) == (200, 240) and excursion.gain > 0.8
    shifted = change_point(np.r_[rng.normal(0, 1, 200), rng.normal(5, 1, 200)])
    assert shifted is not None and shifted.end is None and shifted.at == 200
    assert fit_threshold([0.8, 0.9], [0.1, 0.2]) == (pytest.approx(0.5), 1.0)


def test_cli_prints_one_json_object(folder: Path) -> None:
    app = typer.Typer()
    app.command()(ask)
    result = CliRunner().invoke(app, ["which drawings cover asset T-7?", "--kb", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert set(payload) == {"answer", "citations", "abstained", "kind"}
    assert payload["citations"] == [{"table": "drawings", "id": "lab:DWG-TS-7001"}]


def test_cli_max_rows_and_threshold_apply_over_a_base(folder: Path, plant: MaintenanceData) -> None:
    app = typer.Typer()
    app.command()(ask)
    runner = CliRunner()
    asset = Counter(d.asset_id for d in _work_orders(plant)).most_common(1)[0][0]
    listed = runner.invoke(app, [f"list the work orders of {asset}", "--kb", str(folder), "--max-rows", "2"])
    assert listed.exit_code == 0, listed.output
    shown = [line for line in listed.output.splitlines() if line.startswith("[")]
    assert len(shown) == 2 and "more not shown" in listed.output, listed.output
    strict = runner.invoke(app, ["what is the meaning of life", "--kb", str(folder), "--threshold", "1"])
    assert "threshold 1" in " ".join(strict.output.split()), strict.output  # the fitted one is overridden


def test_an_asset_tag_typed_without_its_hyphen_is_found(answerer: KbAnswerer, plant: MaintenanceData) -> None:
    orders = _work_orders(plant)
    asset = Counter(d.asset_id for d in orders).most_common(1)[0][0]
    assert "-" in asset
    compact = asset.replace("-", "").lower()
    answer = answerer.answer(f"How many work orders for {compact}?")
    assert not answer.abstained
    assert answer.text.startswith(f"{sum(d.asset_id == asset for d in orders)} work orders of plant:{asset}")


def test_what_was_done_after_a_fault_on_a_named_asset_lists_its_work_orders(answerer: KbAnswerer) -> None:
    for question in (
        "What was done after the seal leak on T-7?",
        "After the seal leak on T-7 in January 2024, what was done?",  # a clause after a comma, a month
        "What was done to fix the seal leak on T-7?",
        "T-7 seal leak in January 2024 - what did maintenance do about it?",
    ):
        answer = answerer.answer(question)
        assert answer.kind == "records" and not answer.abstained, answer.text
        assert "4 records follow on lab:T-7" in answer.text and "REPLACE seal on T-7" in answer.text
        assert [c.record_id for c in answer.citations] == [
            "lab:EV-1",
            "lab:W-1",
            "lab:W-2",
            "lab:W-3",
            "lab:W-4",
        ]
    assert answerer.answer("After the seal leak on T-7 in March 2024, what was done?").abstained


def test_a_fault_type_counts_the_faults_and_the_most_frequent_alarm_is_their_label(
    answerer: KbAnswerer, plant: MaintenanceData
) -> None:
    faults = Counter(e.label for e in plant.events if e.kind == "fault") + Counter({"seal leak": 1})
    answer = answerer.answer("most common fault type across the plant?")
    assert not answer.abstained and f"Over {sum(faults.values())} faults" in answer.text
    assert f"with {faults.most_common(1)[0][1]} records" in answer.text
    alarms = Counter(e.label for e in plant.events if e.kind == "alarm")
    top = answerer.answer("what's the most frequent alarm we get")
    assert not top.abstained and f"Over {sum(alarms.values())} alarms, " in top.text
    assert f"with {alarms.most_common(1)[0][1]} records" in top.text
    by_asset = Counter(e.asset_id for e in plant.events if e.kind == "alarm")
    threw = answerer.answer("Which asset threw the most alarms?")  # "threw" is no asset id
    assert not threw.abstained and f"with {by_asset.most_common(1)[0][1]} records" in threw.text


def test_onset_of_the_fault_the_question_names_and_the_first_one(answerer: KbAnswerer) -> None:
    named = answerer.answer("when did the seal leak on T-7 begin")
    assert named.text.startswith("The latest fault/anomaly/failure episode of lab:T-7 started at 2024-01-04")
    first = answerer.answer("When did the seal leak on T-7 first show up?")
    assert first.kind == "series" and first.text.startswith("The first fault/anomaly/failure episode")


def test_last_value_count_shorthand_and_a_bom_row_described_in_words(answerer: KbAnswerer) -> None:
    last = answerer.answer("last ramp value recorded for T-7?")
    assert last.kind == "series" and "last reading" in last.text
    assert answerer.answer("no. of work orders for T-7?").text.startswith("5 work orders of lab:T-7")
    row = answerer.answer("material of the ball bearing on drawing DWG-TS-7001")
    assert (
        row.text.startswith("Item 1 of the BOM of drawing lab:DWG-TS-7001") and "material 100Cr6" in row.text
    )
    assert "material 42CrMo4" in answerer.answer("material of drawing DWG-TS-7001").text
    by_name = answerer.answer("which revision is the test shaft drawing at?")  # named by its part name
    assert by_name.text == "Drawing lab:DWG-TS-7001 (TEST SHAFT): revision C."


def test_an_attribute_no_record_mentions_is_an_abstention_not_the_closest_records(
    answerer: KbAnswerer,
) -> None:
    for question, word in (
        ("What's the purchase price of a new test rig like T-7?", "'purchase', 'price'"),
        ("who is the area supervisor for T-7?", "'supervisor'"),
    ):
        answer = answerer.answer(question)
        assert answer.abstained and answer.kind == "router" and f"mentions {word}" in answer.text
    assert not answerer.answer("total cost of work orders for T-7").abstained  # the records hold costs


def test_a_fault_hinted_at_by_a_word_of_its_label_and_a_word_of_trouble() -> None:
    from moesaic.reports.ask.onsets import _hinted

    events = [{"label": "bearing_wear"}, {"label": "imbalance"}, {"label": "bearing_wear"}]
    assert _hinted("when did the bearing problem on f-403 start?", events) == [events[0], events[2]]
    assert (
        _hinted("when did the bearing wear start?", events) == []
    )  # no word of trouble: the full label reads it
    assert _hinted("when did the problem on f-403 start?", events) == []  # no word of a label
    both = [{"label": "bearing_wear"}, {"label": "bearing_temp high"}]
    assert _hinted("when did the bearing issue start?", both) == []  # two labels: no choice


def test_a_base_of_work_orders_alone_asked_tersely(tmp_path: Path) -> None:
    """The shorthand of engineers over a CMMS extract (no events, no series): "exc a", a year at
    the end, "avg", "did ... any", "last", "missing/loose", "replced"."""
    orders = [  # (id, asset, date, part, failure mode, cost, text)
        ("1", "A", "2006-02-01", "Pump", "Leak", 100.0, "pump leaking"),
        ("2", "A", "2006-02-03", "Seal", "", 300.0, "REPLACE SEAL"),
        ("3", "A", "2006-05-01", "Hose", "Missing / Loose", 50.0, "hose loose"),
        ("4", "A", "2006-05-02", "Clamp", "", 70.0, "REPLACE CLAMP"),
        ("5", "A", "2007-01-10", "Pump", "", 500.0, "pump service"),
        ("6", "B", "2006-03-01", "Track", "Missing / Loose", 80.0, "track pin loose"),
        ("7", "B", "2006-03-02", "Pin", "", 40.0, "REPLACE TRACK PIN"),
    ]
    systems = {"Pump": "Hydraulic System", "Seal": "Hydraulic System", "Hose": "Hydraulic System"}
    documents = tuple(
        Document(
            i, "work_order", text, asset, pd.Timestamp(day),
            {"Part": part, "FM": fm, "Cost": cost, "MajorSystem": systems.get(part, "Undercarriage")},
        )
        for i, asset, day, part, fm, cost, text in orders
    )  # fmt: skip
    data = MaintenanceData(
        "cmms", assets=(Asset("A", "excavator"), Asset("B", "excavator")), documents=documents
    )
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as base:
        base.ingest(data, source="cmms")
        ask = KbAnswerer(base).answer
        assert ask("wo count exc b 2006").text.startswith("2 work orders of cmms:B 2006 (2006-01-01")
        assert ask("wo count exc A 2006").text.startswith("4 work orders of cmms:A 2006 (2006-01-01")
        assert "is 520" in ask("total WO cost exc A 2006").text  # 2006 is a year, no cost bound
        assert (
            "average cost over 2 work orders of cmms:B"
            in ask("averge cost per work order for exc B in 2006?").text
        )
        assert ask("Did excavator B have any work orders in 2007?").text.startswith("No: 0 work orders")
        latest = ask("When was the last pump WO on exc A?")
        assert (
            latest.text.startswith("The latest of 2 work orders of cmms:A with component Pump")
            and "2007-01-10" in latest.text
        )
        system = ask("Which major system has the most WOs for exc A?")  # "MajorSystem", not the part
        assert "the most frequent system is Hydraulic System with 4 records" in system.text
        assert (
            "the most frequent component is Pump with 2 records"
            in ask("which part has the most WOs on exc A").text
        )
        after = ask("what part is replced most often after a missing/loose failure?")
        assert (
            "records with failure mode Missing / Loose" in after.text and "replaced most often" in after.text
        )


def test_record_ids_print_as_written_not_as_emoji_codes() -> None:
    from moesaic.cli.console import console

    with console.capture() as captured:
        console.print("[excavator_mwo:943] excavator_mwo:A: JUMP START", highlight=False)
    assert captured.get() == "[excavator_mwo:943] excavator_mwo:A: JUMP START\n"


def test_a_step_is_dated_at_the_step_and_a_ramp_where_it_starts() -> None:
    from moesaic.reports.ask.trendtest import change_point

    rng = np.random.default_rng(5)
    step = np.where(np.arange(600) >= 400, 3.0, 0.0) + rng.normal(0, 0.2, 600)
    found = change_point(step)
    assert found is not None and found.onset == found.at and abs(found.at - 400) <= 2
    ramp = np.maximum(np.arange(600) - 300, 0) * 0.02 + rng.normal(0, 0.2, 600)
    sloped = change_point(ramp)
    assert sloped is not None and abs(sloped.onset - 300) <= 30 and sloped.at > sloped.onset + 50


def test_what_follows_anchors_months_apart_is_what_follows_the_latest_episode() -> None:
    def record(key: str, day: str, text: str) -> dict:
        return {"asset": "B-1", "time": pd.Timestamp(day), "key": key, "table": "documents", "text": text}

    frame = pd.DataFrame([
        record("A1", "2024-01-05", "bearing alarm"), record("W1", "2024-01-06", "greased bearing"),
        record("W2", "2024-03-01", "belt check"), record("A2", "2024-06-01", "bearing alarm"),
        record("W3", "2024-06-02", "replaced the drive-end bearing and checked the coupling alignment after"),
    ])  # fmt: skip
    answer = _next_records(frame, frame[frame["key"].str.startswith("A")], "the bearing alarm", 30)
    assert "the latest of 2 episodes more than 30 days apart (2024-06-01 00:00)" in answer.text, answer.text
    assert (
        "1 record follows on B-1: 2024-06-02 00:00 W3: replaced the drive-end bearing and checked the"
        in answer.text
    )
    assert answer.text.endswith("...."), answer.text  # the quote cut at 60 characters, then the full stop


@pytest.mark.parametrize(("length", "jump"), [(3000, 1237), (5000, 4001), (10000, 2503)])
def test_a_jump_in_a_long_series_is_dated_at_its_own_reading(length: int, jump: int) -> None:
    # the scan runs on block means of 2, 3 or 5 readings; the block's start dated it early or late
    values = np.random.default_rng(0).normal(0, 1, length)
    values[jump:] += 10
    change = change_point(values)
    assert change is not None and change.at == change.onset == jump


def test_when_a_sensor_got_stuck_is_its_longest_run_of_one_reading(tmp_path: Path) -> None:
    """Water-station walkthrough: "when did the Brg Temp DE of RWP-03 get stuck?" went to retrieval."""
    rng = np.random.default_rng(8)
    time = pd.date_range(START, periods=HOURS, freq="h").to_numpy()
    temp = np.round(40.0 + rng.normal(0.0, 0.5, HOURS), 1)
    temp[700:] = 41.3  # frozen from hour 700 to the end
    coarse = np.round(92.0 + rng.normal(0.0, 0.3, HOURS))  # whole percent: repeats as a matter of course
    frame = pd.DataFrame({"Brg Temp": temp, "UVT": coarse})
    series = Series.from_frame(frame, series_id="R-3/s", asset_id="R-3", time=time)
    data = MaintenanceData("site", assets=(Asset("R-3", "pump"),), series=(series,))
    with KnowledgeBase.open(tmp_path / "kb", create=True, embedder="hashing") as base:
        base.ingest(data, source="site")
        answerer = KbAnswerer(base)
        stuck = answerer.answer("When did the Brg Temp of R-3 get stuck?")
        steady = answerer.answer("is the UVT of R-3 frozen?")
    assert stuck.kind == "series", stuck.text
    at = pd.Timestamp(time[700])
    assert stuck.text.startswith(
        f"Brg Temp of site:R-3 got stuck at {at:%Y-%m-%d %H:%M}: it reads exactly 41.3"
    )
    assert (
        f"for {HOURS - 700} readings in a row" in stuck.text
        and "still stuck at the last reading" in stuck.text
    )
    assert steady.text.startswith("No stuck stretch in UVT of site:R-3"), steady.text


def test_an_excursion_that_ramps_up_until_a_reset_is_dated_where_the_ramp_starts() -> None:
    """Paper-mill walkthrough: a gearbox's oil temperature climbing for four weeks until the oil
    change was dated two weeks late, where the excursion's mean shift lay; an abrupt excursion keeps
    its step (a ramp fitted to it would date it early)."""
    rng = np.random.default_rng(10)
    n = 2000
    ramp = 58.0 + rng.normal(0.0, 0.3, n)
    ramp[1000:1650] += np.linspace(0.0, 13.0, 650)  # from reading 1000 to the oil change at 1650
    change = change_point(ramp)
    assert change is not None and change.end == 1650 and abs(change.onset - 1000) <= 40, change
    step = 9.5 + rng.normal(0.0, 0.1, n)
    step[1500:1575] -= 1.3
    change = change_point(step)
    assert change is not None and (change.onset, change.end) == (1500, 1575), change
