"""The `archdsl` command line.

`main` answers `archdsl check` without loading typer or rich, the libraries
that cost most of its start-up; every other command (and `check --help` or a
usage error) goes through the typer app in `typer_app.py`. Each command imports what
it needs (torch included) only when it runs.
"""

from __future__ import annotations

import os
import sys
from typing import Any


def main() -> None:
    # The CLI loads no pydantic plugins: scanning every installed package's
    # entry points would cost `check` a good part of its time budget.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    if sys.argv[1:2] == ["check"]:
        from archdsl.cli.check_command import parse_check_args, run_check

        args = parse_check_args(sys.argv[2:])
        if args is not None:
            run_check(args)
            raise SystemExit(0)  # as typer's app ends: callers see the status either way
    from archdsl.cli.typer_app import app

    app()


def __getattr__(name: str) -> Any:
    if name == "app":  # `from archdsl.cli import app`, for tests and embedding
        from archdsl.cli.typer_app import app

        return app
    raise AttributeError(f"module 'archdsl.cli' has no attribute {name!r}")
