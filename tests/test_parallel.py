"""``moesaic.parallel``: the ordered map over worker processes of the first cache build."""

from __future__ import annotations

import os
import signal
from functools import partial

import pytest

from moesaic import parallel
from moesaic.parallel import WORKERS_VAR, map_ordered, workers


def _square_and_pid(x: int, offset: int = 0) -> tuple[int, int]:
    return x * x + offset, os.getpid()


@pytest.fixture
def not_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parallel, "_enabled", False)
    monkeypatch.delenv(WORKERS_VAR, raising=False)


@pytest.mark.usefixtures("not_enabled")
def test_a_library_caller_gets_one_process_unless_it_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    assert workers() == 1
    out = map_ordered(_square_and_pid, range(40))
    assert [v for v, _ in out] == [x * x for x in range(40)]
    assert {pid for _, pid in out} == {os.getpid()}
    monkeypatch.setattr(parallel, "_enabled", True)
    assert workers() >= 1  # the CPUs this process may use
    monkeypatch.setenv(WORKERS_VAR, "3")
    assert workers() == 3


@pytest.mark.usefixtures("not_enabled")
@pytest.mark.parametrize("text", ["0", "two", "-1", "1.5"])
def test_a_bad_worker_count_is_refused_by_name(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv(WORKERS_VAR, text)
    with pytest.raises(ValueError, match=f"{WORKERS_VAR}='{text}'"):
        workers()


@pytest.mark.usefixtures("not_enabled")
def test_workers_return_the_serial_results_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_VAR, "2")
    out = map_ordered(partial(_square_and_pid, offset=1), range(50))
    assert [v for v, _ in out] == [x * x + 1 for x in range(50)]
    assert os.getpid() not in {pid for _, pid in out}  # computed by the workers
    short = map_ordered(_square_and_pid, range(5))  # under 4 items per worker: stays here
    assert {pid for _, pid in short} == {os.getpid()}
    one_each = map_ordered(_square_and_pid, range(2), per_worker=1)
    assert [v for v, _ in one_each] == [0, 1] and os.getpid() not in {pid for _, pid in one_each}


@pytest.mark.usefixtures("not_enabled")  # main() enables workers: the fixture puts it back after
def test_the_command_refuses_a_bad_worker_count_before_anything_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from moesaic.cli import app

    monkeypatch.setenv(WORKERS_VAR, "many")
    monkeypatch.setattr("sys.argv", ["moesaic", "demo", "--out", "/nonexistent/never-written"])
    with pytest.raises(SystemExit) as stop:
        app.main()
    assert stop.value.code == 2
    assert f"{WORKERS_VAR}='many'" in capsys.readouterr().err
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # left as it was
