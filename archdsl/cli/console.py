"""Terminal output shared by the commands: rich consoles, and (from terminal.py,
which needs no rich) diagnostics and errors."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from archdsl.cli.terminal import fail, print_diagnostics

__all__ = ["err", "fail", "out", "print_diagnostics", "require_folder_of"]

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


def require_folder_of(target: Path) -> None:
    """A usage error, before any work, when the file's folder does not exist."""
    if not target.parent.is_dir():
        fail(f"no such directory: {target.parent}", 2)
