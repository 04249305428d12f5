"""`--nproc` and `--nnodes`: start a run's processes through torch's elastic agent.

`archdsl train --nproc N` has the agent (`torch.distributed.run`'s, called
in-process) start N fresh Python processes on this machine, each running
`worker` on the model and configuration this command resolved (handed over
in a pickle in a private temporary folder). The processes meet through a
c10d rendezvous: on this machine at a free port, or at `--rdzv-endpoint`,
where the agents of `--nnodes` machines meet; with `--node-rank`, a static
one where machine 0 runs processes 0..N-1 (and so holds the run folder).
The agent never restarts a process, as a restart would not continue the run
exactly; when one ends badly it stops the others, and `failures.explain`
says once what happened. SIGINT and SIGTERM reach every process through the
agent, so all save their checkpoint at the same step.
"""

from __future__ import annotations

import logging
import pickle
import socket
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from torch.distributed import DistError
from torch.distributed.elastic.multiprocessing import DefaultLogsSpecs, SignalException
from torch.distributed.elastic.multiprocessing.errors import ChildFailedError
from torch.distributed.elastic.rendezvous import RendezvousError
from torch.distributed.launcher.api import LaunchConfig, elastic_launch

from archdsl.ir import Model
from archdsl.train.config import TrainConfig
from archdsl.train.failures import Ending, explain
from archdsl.train.run_folder import RunOptions

WORKER = "archdsl.train.worker_process"
# How long the agent waits for the other machines, in seconds (torchrun's default).
RENDEZVOUS_TIMEOUT = 900


@dataclass(frozen=True)
class Launch:
    nproc: int = 1  # processes on this machine
    nnodes: int = 1  # machines
    node_rank: int | None = None  # this machine's place, for a static rendezvous
    endpoint: str | None = None  # HOST:PORT where the machines meet
    run_id: str = "archdsl"  # the rendezvous's name, alike on every machine

    @property
    def processes(self) -> int:
        return self.nproc * self.nnodes

    @property
    def needed(self) -> bool:
        """Whether the run needs the agent; else it trains in the command's own process."""
        return self.processes > 1 or self.endpoint is not None

    def config(self, logs: Path) -> LaunchConfig:
        if self.node_rank is not None:
            backend, endpoint = "static", self.endpoint or ""
            rendezvous: dict[str, object] = {"rank": self.node_rank}
            run_id = self.run_id
        elif self.endpoint is not None:
            backend, endpoint, rendezvous, run_id = "c10d", self.endpoint, {}, self.run_id
        else:  # this machine alone: the store at a free port, a name of its own
            backend, endpoint, rendezvous = "c10d", "localhost:0", {"is_host": True}
            run_id = uuid.uuid4().hex
        return LaunchConfig(
            min_nodes=self.nnodes,
            max_nodes=self.nnodes,
            nproc_per_node=self.nproc,
            run_id=run_id,
            rdzv_backend=backend,
            rdzv_endpoint=endpoint,
            rdzv_configs={**rendezvous, "timeout": RENDEZVOUS_TIMEOUT},
            max_restarts=0,
            logs_specs=DefaultLogsSpecs(log_dir=str(logs)),
        )


def launch(plan: Launch, model: Model, config: TrainConfig, options: RunOptions) -> Ending:
    """Run `worker` in the plan's processes: the exit code, and what to say if not yet said."""
    _quiet_agent()
    if plan.endpoint is not None:
        host = plan.endpoint.rpartition(":")[0]
        try:
            socket.getaddrinfo(host, None)
        except OSError as exc:  # else c10d retries the name for minutes
            return Ending(1, f"--rdzv-endpoint: cannot find the machine {host!r} ({exc.strerror})")
    with tempfile.TemporaryDirectory(prefix="archdsl-launch-") as tmp:
        payload = Path(tmp) / "run.pickle"
        payload.write_bytes(pickle.dumps((model, config, options)))
        start = elastic_launch(plan.config(Path(tmp) / "logs"), sys.executable)
        try:
            start("-m", WORKER, str(payload))
        except ChildFailedError as exc:
            return explain(exc.failures, plan.processes, options, plan.nnodes)
        except SignalException as exc:  # every process has saved and said so
            return Ending(128 + int(exc.sigval), None)
        except (RendezvousError, DistError) as exc:
            where = plan.endpoint or "this machine"
            return Ending(1, f"the processes could not meet at {where}: {exc}")
    return Ending(0, None)


def _quiet_agent() -> None:
    """The agent's log lines (closing signals, failure tables) would bury the one message."""
    for name in ("torch.distributed.elastic", "torch.distributed.launcher"):
        agent = logging.getLogger(name)
        agent.addHandler(logging.NullHandler())
        agent.propagate = False
