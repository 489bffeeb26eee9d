"""Ctrl-C during ``kb ingest`` or ``feedback``: one line saying what was left, exit status 130, and
the base as it was (user report item 22).

No real signal is sent: the patched step raises :class:`Interrupted`, as the SIGINT handler that
:func:`main` installs does (the test checks that it is installed).
"""

from __future__ import annotations

import hashlib
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

import moesaic.cli.app as entry
from moesaic.cli.app import Interrupted, main
from moesaic.data.readers import read_user_folder
from moesaic.knowledge import KnowledgeBase
from moesaic.knowledge.embed import HashingEmbedder
from moesaic.reports.scenarios import plan_scenarios
from moesaic.reports.scenarios.feedback import feedback_log
from moesaic.reports.scenarios.ranker import ScenarioRanker

ASSETS = "asset_id,asset_type\nP-1,pump\n"
ORDERS = """wo_id,asset_id,created,text,failure_code,cost,labour_hours
WO-1,P-1,2024-01-10 08:00,"Bearing noise on P-1, replaced bearing",BRG,1200,6
WO-2,P-1,2024-02-20 09:00,"High vibration, bearing temperature rising; replaced bearing",BRG,1500,8
WO-3,P-1,2024-02-25 10:00,"Seal leak at discharge side, replaced mechanical seal",SEAL,800,4
"""


def _folder(root: Path) -> Path:
    folder = root / "plant"
    (folder / "series").mkdir(parents=True)
    (folder / "assets.csv").write_text(ASSETS, encoding="utf-8")
    (folder / "work_orders.csv").write_text(ORDERS, encoding="utf-8")
    (folder / "series" / "P-1.csv").write_text("time,temp\n2024-01-01 00:00,20\n2024-01-01 01:00,21\n")
    return folder


def _interrupt(*args: Any, **kwargs: Any) -> Any:
    assert signal.getsignal(signal.SIGINT) is entry._interrupt  # main turns Ctrl-C into Interrupted
    raise Interrupted


def _run(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run ``moesaic ARGV`` through :func:`main`; expect exit status 130 and return stderr."""
    monkeypatch.setattr(sys, "argv", ["moesaic", *argv])
    capsys.readouterr()
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 130
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored
    return capsys.readouterr().err


def _digest(kb: Path) -> tuple[str, list[str]]:
    files = sorted(str(p.relative_to(kb)) for p in kb.rglob("*") if p.is_file())
    return hashlib.sha256((kb / "kb.sqlite").read_bytes()).hexdigest(), files


@pytest.fixture
def kb(tmp_path: Path) -> Path:
    """A base holding the plant folder, under source ``plant``."""
    folder = tmp_path / "kb"
    with KnowledgeBase.open(folder, create=True, embedder="hashing") as base:
        base.ingest(read_user_folder(_folder(tmp_path)), source="plant")
    return folder


def _after_progress(err: str) -> str:
    """What ``kb ingest`` printed on stderr after its progress line ('ingesting SOURCE ...')."""
    first, _, rest = err.partition("\n")
    assert first.startswith("ingesting ") and first.endswith(" ..."), err
    return rest


def test_an_interrupted_ingestion_leaves_the_base_unchanged(
    tmp_path: Path, kb: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _digest(kb)
    # after the series' Parquet files are written, before the transaction
    monkeypatch.setattr(HashingEmbedder, "embed", _interrupt)
    folder = str(_folder(tmp_path / "copy"))
    err = _run(monkeypatch, capsys, "kb", "ingest", folder, "--kb", str(kb), "--source", "copy")
    assert _after_progress(err) == f"interrupted (Ctrl-C); nothing was written: the base {kb} is unchanged\n"
    assert _digest(kb) == before  # no row, and no Parquet file left behind


def test_an_interrupted_first_ingestion_says_the_new_base_is_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(HashingEmbedder, "embed", _interrupt)
    kb = tmp_path / "kb"
    err = _run(
        monkeypatch, capsys, "kb", "ingest", str(_folder(tmp_path)), "--kb", str(kb), "--embedder", "hashing"
    )
    expected = f"interrupted (Ctrl-C); nothing was written: {kb} holds a new, empty base\n"
    assert _after_progress(err) == expected
    with KnowledgeBase.open(kb) as base:
        assert base.sources() == {} and base.stats()["documents"] == 0


def test_an_interruption_after_the_commit_says_the_records_are_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(KnowledgeBase, "size_bytes", _interrupt)  # called once the ingestion committed
    kb = tmp_path / "kb"
    err = _run(
        monkeypatch, capsys, "kb", "ingest", str(_folder(tmp_path)), "--kb", str(kb), "--embedder", "hashing"
    )
    expected = f"interrupted (Ctrl-C); the ingestion had been committed: {kb} holds the records of plant\n"
    assert _after_progress(err) == expected
    with KnowledgeBase.open(kb) as base:
        assert base.stats()["documents"] == 3


def test_an_interruption_while_loading_the_command_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(entry, "build_app", _interrupt)
    err = _run(monkeypatch, capsys, "feedback", "--kb", str(tmp_path), "--scenario", "x", "accept")
    assert err == "interrupted (Ctrl-C); before the command started; nothing was written\n"


def test_an_interrupted_feedback_records_nothing(
    kb: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with KnowledgeBase.open(kb) as base:
        scenario = plan_scenarios(base, asset_id="P-1", text="bearing noise").scenarios[0]
    before = _digest(kb)
    monkeypatch.setattr(ScenarioRanker, "update", _interrupt)  # inside the verdict's transaction
    err = _run(monkeypatch, capsys, "feedback", "--kb", str(kb), "--scenario", scenario.scenario_id, "accept")
    assert err == "interrupted (Ctrl-C); nothing was written: a verdict is recorded in one transaction\n"
    assert _digest(kb) == before
    with KnowledgeBase.open(kb) as base:
        assert feedback_log(base.connection) == []
