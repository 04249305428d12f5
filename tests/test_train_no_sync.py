"""With `accumulate k` under DDP, gradients are all-reduced once per optimiser step.

Two processes (gloo on the CPU) train one epoch through `train_epoch`; a DDP
communication hook counts the all-reduces. The weights must still be those
one process reaches on the same global batches, so the batches run under
`no_sync` did add their gradients to the window's one all-reduce.
"""

# No `from __future__ import annotations`: DDP reads the hook's annotations as objects.
import os
import socket
from pathlib import Path

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from rich.console import Console
from torch.distributed.algorithms.ddp_comm_hooks.default_hooks import allreduce_hook

import archdsl
from archdsl.train.distributed import World, start, stop
from archdsl.train.loop import Totals, train_epoch
from archdsl.train.progress import ProgressView
from archdsl.train.resolve import Override, train_config
from archdsl.train.session import Session, open_session
from archdsl.train.signals import StopRequest
from tests.helpers import SPECS

SPEC = SPECS / "digits_mlp.arch"
ACCUMULATE = 3
TOLERANCE = 1e-5  # largest difference of any weight, absolute (float32 sums in another order)


def _session(world: World) -> Session:
    model = archdsl.load(SPEC).model()
    settings = {"device": "cpu", "batch": 64, "accumulate": ACCUMULATE, "epochs": 1}
    config = train_config(model, [Override(k, v, f"--set {k}={v}") for k, v in settings.items()])
    return open_session(model, config, world, torch.device("cpu"))


def _epoch(s: Session) -> None:
    view = ProgressView(Console(quiet=True), False, 1)
    end = train_epoch(s, 1, 0, None, Totals(), StopRequest(), view)
    assert end.outcome == "done"


def _counted_allreduce(
    calls: list[int], bucket: dist.GradBucket
) -> torch.futures.Future[torch.Tensor]:
    calls.append(bucket.index())
    return allreduce_hook(None, bucket)  # type: ignore[arg-type]


def _process(rank: int, port: int, out: Path) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    torch.set_num_threads(1)  # two processes on a shared machine
    world = World(rank=rank, size=2, local_rank=rank, local_size=2)
    start(world, torch.device("cpu"))
    try:
        s = _session(world)
        assert s.stepper.ddp is not None
        calls: list[int] = []
        s.stepper.ddp.register_comm_hook(calls, _counted_allreduce)
        _epoch(s)
        torch.save({"calls": calls, "steps": s.train.steps, "weights": s.module.state_dict()},
                   out / f"rank{rank}.pt")  # fmt: skip
    finally:
        stop(world)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_two_processes_all_reduce_once_a_step_and_match_one(tmp_path: Path) -> None:
    mp.spawn(_process, args=(_free_port(), tmp_path), nprocs=2)
    ranks = [torch.load(tmp_path / f"rank{r}.pt") for r in range(2)]
    steps = ranks[0]["steps"]
    assert steps == 21  # 1437 digits, batches of 64: 22, cut to whole windows of 3
    for r in ranks:
        # The small MLP's gradients fit one bucket: one all-reduce per window of 3.
        assert r["calls"] == [0] * (steps // ACCUMULATE)
    one = _session(World())
    assert one.stepper.ddp is None
    _epoch(one)
    expected = one.module.state_dict()
    for r in ranks:
        worst = max(float((r["weights"][k] - expected[k]).abs().max()) for k in expected)
        assert worst < TOLERANCE
