"""A process the launcher started: `python -m archdsl.train.worker_process RUN.pickle`.

The pickle is the launcher's own (model, configuration, run options), written
to a private temporary folder; the process's place comes from the environment
the elastic agent sets (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, ...).
"""

from __future__ import annotations

import os
import pickle
import sys
from pathlib import Path


def main() -> None:
    model, config, options = pickle.loads(Path(sys.argv[1]).read_bytes())
    from archdsl.train.run import worker

    code = worker(model, config, options)
    # Leave without the interpreter's teardown: by now every file is written and
    # the process group destroyed, but c10d's store client threads may still be
    # joinable, and destroying them aborts the process ("terminate called without
    # an active exception", exit 134) after a finished run.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    main()
