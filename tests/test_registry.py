from __future__ import annotations

from pathlib import Path

import pytest

from moesaic.data.registry import (
    SET_MODULES,
    DataNotFoundError,
    dataset_info,
    datasets,
    load_dataset,
    resolve_data_root,
)
from moesaic.data.validate import validate_dataset


def test_every_set_module_is_registered_with_licence_and_citation() -> None:
    known = datasets()
    assert sorted(known) == sorted(SET_MODULES)
    for info in known.values():
        assert info.licence and info.citation and info.modality, info.name
        assert info.expected or info.optional, f"{info.name}: no README counts and not kept aside"


def test_data_root_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    explicit, env = tmp_path / "a", tmp_path / "b"
    explicit.mkdir()
    env.mkdir()
    monkeypatch.setenv("MOESAIC_DATA", str(env))
    assert resolve_data_root(explicit) == explicit.resolve()
    assert resolve_data_root() == env.resolve()


def test_missing_data_says_how_to_point_at_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOESAIC_DATA", str(tmp_path / "nowhere"))
    with pytest.raises(DataNotFoundError, match=r"MOESAIC_DATA=.*nowhere: no such folder"):
        resolve_data_root()
    monkeypatch.delenv("MOESAIC_DATA")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("moesaic.data.registry._candidates", lambda: [tmp_path / "none"])
    with pytest.raises(DataNotFoundError, match="pass --data PATH, or set MOESAIC_DATA"):
        resolve_data_root()


def test_unknown_name_lists_known_sets() -> None:
    with pytest.raises(KeyError, match=r"known data sets: .*skab"):
        dataset_info("skabb")


def test_missing_set_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="data set 'ett' not found: expected a folder"):
        load_dataset("ett", tmp_path)


def test_validate_reports_mismatch_instead_of_raising(tmp_path: Path) -> None:
    folder = tmp_path / "ett"
    folder.mkdir()
    (folder / "ETTh1.csv").write_text(
        "date,HUFL,HULL,MUFL,MULL,LUFL,LULL,OT\n2020-01-01 00:00:00,1,2,3,4,5,6,7\n"
    )
    result = validate_dataset(dataset_info("ett"), tmp_path)
    assert not result.ok
    assert "series_steps: expected 17420, found 1" in result.mismatches


def test_validate_reports_loading_error(tmp_path: Path) -> None:
    folder = tmp_path / "ett"
    folder.mkdir()
    (folder / "ETTh1.csv").write_text("date,HUFL\n2020-01-01,1\n")
    result = validate_dataset(dataset_info("ett"), tmp_path)
    assert "missing required column(s)" in result.error


def test_ett_matches_its_readme(shared_data: Path) -> None:
    result = validate_dataset(dataset_info("ett"), shared_data)
    assert result.ok, result.mismatches or result.error
