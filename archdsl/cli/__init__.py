"""The `archdsl` command line.

`main` answers `archdsl check` without loading typer or rich, the libraries
that cost most of its start-up; every other command (and `check --help` or a
usage error) goes through the typer app in `typer_app.py`. Each command imports what
it needs (torch included) only when it runs.
"""

from __future__ import annotations

import os
import sys
from typing import Any, NoReturn


def main() -> None:
    # The CLI loads no pydantic plugins: scanning every installed package's
    # entry points would cost `check` a good part of its time budget.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        if sys.argv[1:2] == ["check"]:
            from archdsl.cli.check_command import parse_check_args, run_check

            args = parse_check_args(sys.argv[2:])
            if args is not None:
                try:
                    run_check(args)
                except SystemExit as done:
                    _leave(done.code)
                _leave(0)
        from archdsl.cli.typer_app import app

        app()
    except BrokenPipeError:
        # The reader left (`archdsl check big.arch | head`): stop quietly with
        # status 1, as click ends the other commands, and keep Python from
        # failing again on the closed pipe at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise SystemExit(1) from None


def _leave(status: int | str | None) -> NoReturn:
    """End a `check` at once: what it built (a large spec's AST and IR, millions
    of objects) is returned to the system whole instead of freed one by one."""
    if isinstance(status, str):
        print(status, file=sys.stderr)
        status = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(status or 0)


def __getattr__(name: str) -> Any:
    if name == "app":  # `from archdsl.cli import app`, for tests and embedding
        from archdsl.cli.typer_app import app

        return app
    raise AttributeError(f"module 'archdsl.cli' has no attribute {name!r}")
