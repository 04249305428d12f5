"""A process the launcher started: `python -m archdsl.train.worker_process RUN.pickle`.

The pickle is the launcher's own (model, configuration, run options), written
to a private temporary folder; the process's place comes from the environment
the elastic agent sets (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, ...).
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path


def main() -> None:
    model, config, options = pickle.loads(Path(sys.argv[1]).read_bytes())
    from archdsl.train.run import worker

    raise SystemExit(worker(model, config, options))


if __name__ == "__main__":
    main()
