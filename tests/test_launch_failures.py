"""The one message a launched run ends with, from what the elastic agent reports.

The agent reports every process that ended badly: the one that died, and the
others that lost their connection to it or were stopped by the agent. The
message names the first and says how to go on; the trainer's own endings
(exit 1, 128 + a signal), which rank 0 has explained, pass through unsaid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from torch.distributed.elastic.multiprocessing.errors import ProcessFailure

from archdsl.train.failures import ERROR_FILE, RECORDED, Ending, explain, record
from archdsl.train.run_folder import RunOptions


@dataclass
class Ended:
    pid: int
    exitcode: int
    timestamp: int = 1_800_000_000
    error_file_data: dict[str, object] = field(default_factory=dict)


def recorded(pid: int, message: str, time_ns: int) -> Ended:
    info = {"py_callstack": f"Traceback ...\n{message}\n", "timestamp": "0", "time_ns": time_ns}
    data: dict[str, object] = {"message": {"message": message, "extraInfo": info}}
    return Ended(pid, RECORDED, error_file_data=data)


def options(tmp_path: Path) -> RunOptions:
    return RunOptions(tmp_path / "run", command="archdsl train x.arch --nproc 2")


def test_a_killed_process_is_named_before_the_errors_it_caused(tmp_path: Path) -> None:
    lost = "RuntimeError: [gloo/transport/tcp/pair.cc:537] Connection reset by peer"
    ending = explain({0: recorded(10, lost, 5), 1: Ended(11, -9)}, 2, options(tmp_path))
    assert ending.code == 137
    assert ending.message == (
        "process 1 of 2 (pid 11) was killed by SIGKILL; the run stopped\n"
        f"  no checkpoint had been saved in {tmp_path / 'run'}\n"
        "  start again with: archdsl train x.arch --nproc 2"
    )


def test_of_two_killed_the_first_seen_is_the_cause(tmp_path: Path) -> None:
    # Process 0, stuck, ignored the agent's SIGTERM and was killed 30 s later.
    failures = {0: Ended(10, -9, timestamp=1_800_000_031), 1: Ended(11, -6)}
    ending = explain(failures, 2, options(tmp_path))
    assert ending.code == 128 + 6
    assert ending.message is not None
    assert ending.message.startswith("process 1 of 2 (pid 11) was killed by SIGABRT;")


def test_without_a_killed_process_the_earliest_error_is_the_cause(tmp_path: Path) -> None:
    failures = {
        0: recorded(10, "RuntimeError: Connection closed by peer", 9_000),
        1: recorded(11, "ValueError: a bug", 8_999),
        2: Ended(12, -15),  # stopped by the agent
    }
    ending = explain(failures, 4, options(tmp_path), machines=2)
    assert ending.code == 1
    assert ending.message is not None
    lines = ending.message.splitlines()
    assert lines[0] == "process 1 of 4 (pid 11) failed: ValueError: a bug; the run stopped"
    assert lines[1:3] == ["  Traceback ...", "  ValueError: a bug"]
    assert lines[3] == (
        f"  the machine that ran process 0 keeps the last checkpoint in {tmp_path / 'run'}"
    )
    assert lines[4] == "  continue with: archdsl train x.arch --nproc 2 --resume"


@pytest.mark.parametrize(("codes", "code"), [((1, 1), 1), ((130, 130), 130), ((1, 141), 141)])
def test_the_trainers_own_endings_pass_through_unsaid(
    tmp_path: Path, codes: tuple[int, int], code: int
) -> None:
    failures = {rank: Ended(10 + rank, c) for rank, c in enumerate(codes)}
    assert explain(failures, 2, options(tmp_path)) == Ending(code, None)


def test_a_process_stopped_by_the_agent_alone_is_said(tmp_path: Path) -> None:
    ending = explain({1: Ended(11, -15)}, 2, options(tmp_path))
    assert ending.code == 143
    assert ending.message is not None
    assert ending.message.startswith("process 1 of 2 (pid 11) was stopped by SIGTERM;")


def test_a_recorded_error_reads_back_through_the_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ERROR_FILE, str(tmp_path / "error.json"))
    try:
        raise ValueError("the data ran out")
    except ValueError as exc:
        assert record(exc)
    assert "time_ns" in json.loads((tmp_path / "error.json").read_text())["message"]["extraInfo"]
    failure = ProcessFailure(0, 4242, RECORDED, str(tmp_path / "error.json"))
    ending = explain({3: failure}, 4, options(tmp_path))
    assert ending.code == 1
    assert ending.message is not None
    first, *rest = ending.message.splitlines()
    assert first == (
        "process 3 of 4 (pid 4242) failed: ValueError: the data ran out; the run stopped"
    )
    assert rest[0] == "  Traceback (most recent call last):"
    assert '      raise ValueError("the data ran out")' in rest


def test_without_an_agent_nothing_is_recorded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ERROR_FILE, raising=False)
    try:
        raise ValueError("x")
    except ValueError as exc:
        assert not record(exc)
