"""Data-parallel training: which process this is, the few collectives, and `--nproc`.

A run with N processes splits every global batch N ways and averages the
gradients (DistributedDataParallel): gloo on CPUs, NCCL on GPUs. Processes come
from `--nproc N` on one machine, or from torchrun, whose environment
(RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT) is read as it is.
Only rank 0 prints and writes files.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0
    local_size: int = 1

    @property
    def main(self) -> bool:
        return self.rank == 0


def world_from_env() -> World:
    """This process's place, as torchrun (or `--nproc`) describes it; one process if unset."""
    env = os.environ
    size = int(env.get("WORLD_SIZE", "1"))
    return World(
        rank=int(env.get("RANK", "0")),
        size=size,
        local_rank=int(env.get("LOCAL_RANK", "0")),
        local_size=int(env.get("LOCAL_WORLD_SIZE", str(size))),
    )


def start(world: World, device: torch.device) -> None:
    if world.size > 1 and not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend, rank=world.rank, world_size=world.size)


def stop(world: World) -> None:
    if world.size > 1 and dist.is_initialized():
        dist.destroy_process_group()


def sum_all(tensor: torch.Tensor, world: World) -> torch.Tensor:
    """The element-wise sum over all processes (in place)."""
    if world.size > 1:
        dist.all_reduce(tensor)
    return tensor


def any_all(flags: list[bool], world: World, device: torch.device) -> list[bool]:
    """Each flag raised on any process, so that all processes decide alike."""
    if world.size == 1:
        return flags
    t = torch.tensor([int(f) for f in flags], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return [bool(v) for v in t.tolist()]


def share(obj: Any, world: World) -> Any:
    """Rank 0's `obj`, on every process."""
    if world.size == 1:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather(obj: Any, world: World) -> list[Any]:
    """Every process's `obj`, by rank, on every process."""
    if world.size == 1:
        return [obj]
    out: list[Any] = [None] * world.size
    dist.all_gather_object(out, obj)
    return out


def launch(nproc: int, target: Callable[..., int], *args: Any) -> int:
    """Run `target(*args)` in `nproc` fresh processes on this machine; the worst exit code.

    SIGINT and SIGTERM sent to this process are passed on, so every worker
    saves its checkpoint and stops at the same step.
    """
    ctx = multiprocessing.get_context("spawn")
    port = _free_port()
    procs = [
        ctx.Process(target=_worker, args=(rank, nproc, port, target, args), daemon=False)
        for rank in range(nproc)
    ]
    for proc in procs:
        proc.start()

    def forward(signum: int, frame: object) -> None:
        for proc in procs:
            if proc.pid is not None and proc.is_alive():
                os.kill(proc.pid, signum)

    old = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        for proc in procs:
            proc.join()
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
    # A worker killed by a signal has a negative exit code; a shell would say 128 + signal.
    codes = [128 - code if code < 0 else code for code in (p.exitcode or 0 for p in procs)]
    return max(codes)


def _worker(
    rank: int, size: int, port: int, target: Callable[..., int], args: tuple[Any, ...]
) -> None:
    os.environ.update(
        {
            "RANK": str(rank),
            "WORLD_SIZE": str(size),
            "LOCAL_RANK": str(rank),
            "LOCAL_WORLD_SIZE": str(size),
            "MASTER_ADDR": "127.0.0.1",
            "MASTER_PORT": str(port),
        }
    )
    raise SystemExit(target(*args))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
