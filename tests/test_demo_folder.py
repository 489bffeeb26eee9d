"""The demo's folder: a demo replaces only what a demo wrote, never a user's file."""

from __future__ import annotations

from pathlib import Path

import pytest

from moesaic.data.simulator import SimulatorConfig, simulate_to
from moesaic.demo_folder import MARKER, DemoFolderError, check_demo_folder, record_demo_files

TINY = SimulatorConfig(num_assets=1, days=3, seed=0, drawings=False)


def _demo_folder(out: Path) -> Path:
    """A folder laid out as a demo leaves it: marker, plant, a knowledge base file and the page."""
    record_demo_files(out)
    simulate_to(TINY, out / "plant")
    (out / "kb" / "series").mkdir(parents=True)
    (out / "kb" / "kb.sqlite").write_bytes(b"db")
    (out / "moesaic-demo.html").write_text("<!doctype html>", encoding="utf-8")
    record_demo_files(out)
    return out


def test_a_new_an_empty_and_an_earlier_demo_folder_are_accepted(tmp_path: Path) -> None:
    check_demo_folder(tmp_path / "new")
    (tmp_path / "empty").mkdir()
    check_demo_folder(tmp_path / "empty")
    check_demo_folder(_demo_folder(tmp_path / "demo"))


def test_a_users_folder_is_refused_with_what_to_do(tmp_path: Path) -> None:
    (tmp_path / "plant").mkdir()
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(DemoFolderError, match=f"{tmp_path} is not empty and was not written by moesaic demo"):
        check_demo_folder(tmp_path)
    with pytest.raises(DemoFolderError, match="Give --out a new or empty folder"):
        check_demo_folder(tmp_path)


def test_files_added_to_or_changed_in_a_demo_folder_are_named(tmp_path: Path) -> None:
    out = _demo_folder(tmp_path / "demo")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "plant" / "mine.csv").write_text("a,b", encoding="utf-8")
    (out / "kb" / "kb.sqlite").write_bytes(b"db with my own records")
    with (out / "moesaic-demo.html").open("a", encoding="utf-8") as page:
        page.write("<p>my notes</p>")
    with pytest.raises(DemoFolderError) as caught:
        check_demo_folder(out)
    said = str(caught.value)
    assert "did not write (or changed since): kb/kb.sqlite (changed), moesaic-demo.html (changed), " in said
    assert "notes.txt, plant/mine.csv; refusing" in said and "Move them out" in said


def test_a_demo_folder_whose_plant_lost_its_manifest_is_refused(tmp_path: Path) -> None:
    out = _demo_folder(tmp_path / "demo")
    (out / "plant" / "manifest.json").unlink()
    with pytest.raises(DemoFolderError, match=r"did not write \(or changed since\): plant;"):
        check_demo_folder(out)
    (out / MARKER).write_text("not json", encoding="utf-8")
    with pytest.raises(DemoFolderError, match=r"kb, moesaic-demo\.html, plant;"):
        check_demo_folder(out)
