"""`archdsl train`'s launch flags (--nproc, --nnodes, --node-rank, --rdzv-*), checked."""

from __future__ import annotations

from archdsl.cli.console import fail


def check_launch_flags(
    nproc: int, nnodes: int, node_rank: int | None, endpoint: str | None
) -> None:
    """A usage error (exit 2) for flags that do not fit together, before any work."""
    if nproc < 1:
        fail("--nproc must be 1 or more", 2)
    if nnodes < 1:
        fail("--nnodes must be 1 or more", 2)
    if endpoint is not None:
        host, _, port = endpoint.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            fail(f"--rdzv-endpoint takes HOST:PORT, a port from 1 to 65535, not {endpoint!r}", 2)
    elif nnodes > 1:
        fail("--nnodes above 1 needs --rdzv-endpoint HOST:PORT, where the machines meet", 2)
    if node_rank is not None:
        if not 0 <= node_rank < nnodes:
            fail(f"--node-rank must be 0 to {nnodes - 1} for --nnodes {nnodes}", 2)
        if endpoint is None:
            fail("--node-rank needs --rdzv-endpoint HOST:PORT, machine 0's address", 2)
