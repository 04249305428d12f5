"""SIGKILL a run at every write and rename of its run folder, and at random moments.

After each kill the committed checkpoint must be whole (its `best` the one
its `state.json` names) and `--resume` must end with weights bit-equal to an
uninterrupted run's, leaving no temporary file or stale set behind.

Runs are forked from a forkserver that imported torch but never ran it, so
each costs only its training (a tiny model, synthetic data, three epochs).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import time
from pathlib import Path

import pytest
from safetensors import safe_open

from archdsl.train import checkpoint
from archdsl.train.atomic import CRASH_AT
from tests.helpers import ROOT
from tests.train_helpers import identical, weights


def metadata(path: Path) -> dict[str, str]:
    with safe_open(str(path), "pt") as f:
        return dict(f.metadata())


SPEC = ROOT / "tests" / "specs" / "tiny_run.arch"
EPOCHS = 3
STEPS = 4  # per epoch: 64 samples, batch 16
RANDOM_KILLS = 50

pytestmark = pytest.mark.slow


def _train(out: str, resume: bool, crash_at: int) -> None:
    """A child: train (or resume) into `out`; exits with the run's code."""
    if crash_at:
        os.environ[CRASH_AT] = str(crash_at)
    from tests.train_helpers import train_here

    code, _ = train_here(SPEC, Path(out), resume=resume, device="cpu", deterministic=True)
    os._exit(code)


@pytest.fixture(scope="module")
def forks() -> multiprocessing.context.ForkServerContext:
    ctx = multiprocessing.get_context("forkserver")
    # What a run would import on its first use: torch._inductor (deterministic mode), pyplot.
    preload = ["tests.train_helpers", "archdsl.train.run", "torch._inductor", "matplotlib.pyplot"]
    ctx.set_forkserver_preload([*preload, __name__])
    return ctx


def start(
    ctx: multiprocessing.context.ForkServerContext, out: Path, resume: bool, crash_at: int = 0
) -> multiprocessing.context.ForkServerProcess:
    proc = ctx.Process(target=_train, args=(str(out), resume, crash_at))
    proc.start()
    return proc


def finish(proc: multiprocessing.context.ForkServerProcess) -> int | None:
    proc.join(timeout=120)
    assert proc.exitcode is not None, "a run hung"
    return proc.exitcode


@pytest.fixture(scope="module")
def reference(
    forks: multiprocessing.context.ForkServerContext, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, float]:
    """An uninterrupted run, and how long one takes once the forkserver is up."""
    folder = tmp_path_factory.mktemp("uninterrupted")
    assert finish(start(forks, folder / "run", resume=False)) == 0
    began = time.monotonic()
    assert finish(start(forks, folder / "again", resume=False)) == 0
    return folder / "run", time.monotonic() - began


def check_committed(out: Path) -> None:
    """The committed set is whole: steps agree, `best` is the epoch state.json names."""
    found = checkpoint.load(out)
    info = found.info
    if info["best"]["epoch"]:
        _, meta = checkpoint.read_weights(out / checkpoint.BEST)
        assert meta["step"] == str(info["best"]["epoch"] * STEPS)
        assert info["history"][info["best"]["epoch"] - 1]["val_acc"] == info["best"]["val_acc"]
    else:
        assert not (out / checkpoint.BEST).exists()


def recover(ctx: multiprocessing.context.ForkServerContext, out: Path, reference: Path) -> None:
    """Resume a killed run (or restart one that committed nothing) and compare it."""
    if out.is_dir() and checkpoint.committed(out) is not None:
        check_committed(out)
        assert finish(start(ctx, out, resume=True)) == 0
    else:
        assert finish(start(ctx, out, resume=False)) == 0
    for name in (checkpoint.LAST, checkpoint.BEST):
        # Bit-equal tensors and equal metadata; the file's bytes may differ, as
        # safetensors writes its metadata map in no fixed order.
        assert identical(weights(out / name), weights(reference / name)), name
        assert metadata(out / name) == metadata(reference / name), name
    ours = json.loads((out / checkpoint.STATE_JSON).read_text())
    theirs = json.loads((reference / checkpoint.STATE_JSON).read_text())
    assert ours["best"] == theirs["best"] and ours["status"] == "finished"
    sets = [p.name for p in out.iterdir() if p.name.startswith("ckpt-")]
    assert sets == [f"ckpt-{EPOCHS * STEPS:09d}"]
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]


def test_a_kill_at_every_write_and_rename_resumes_exactly(
    forks: multiprocessing.context.ForkServerContext,
    reference: tuple[Path, float],
    tmp_path: Path,
) -> None:
    points = 0
    for k in range(1, 500):
        out = tmp_path / f"k{k}"
        code = finish(start(forks, out, resume=False, crash_at=k))
        if code == 0:
            break  # past the last point: the run finished untouched
        assert code == -signal.SIGKILL
        points += 1
        recover(forks, out, reference[0])
    # Config, metrics, curves and three checkpoints: each write is three points, each rename one.
    assert points >= 40


def test_random_kills_resume_exactly(
    forks: multiprocessing.context.ForkServerContext,
    reference: tuple[Path, float],
    tmp_path: Path,
) -> None:
    chance = random.Random(14)
    killed = 0
    # A run's length varies with the machine's load: when one finishes before
    # its kill, later kills are drawn from the time it took at most.
    window = reference[1]
    for i in range(RANDOM_KILLS):
        out = tmp_path / f"r{i}"
        proc = start(forks, out, resume=False)
        wait = chance.uniform(0, window)
        time.sleep(wait)
        if proc.is_alive():
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        else:
            window = wait
        finish(proc)
        recover(forks, out, reference[0])
    assert killed >= RANDOM_KILLS // 2
