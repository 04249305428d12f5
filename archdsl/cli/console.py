"""Terminal output shared by the commands: consoles and coloured diagnostics."""

from __future__ import annotations

from pathlib import Path
from typing import NoReturn

from rich.console import Console
from rich.text import Text

from archdsl.diagnostics import Diagnostic
from archdsl.diagnostics.render import layout, summary_line

STYLES = {
    "location": "bold",
    "error": "bold red",
    "warning": "bold yellow",
    "message": "bold",
    "gutter": "blue",
    "note": "bold cyan",
    "help": "bold green",
    "source": "",
    "": "",
}

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


def print_diagnostics(diags: list[Diagnostic], sources: dict[str, str]) -> None:
    colour = err.is_terminal and err.color_system is not None
    for diag in diags:
        for line in layout(diag, sources):
            text = Text()
            for segment, style in line:
                if style == "source" and colour:
                    from archdsl.cli.source_highlight import highlight

                    text.append_text(highlight(segment))
                else:
                    text.append(segment, style=STYLES.get(style, ""))
            err.print(text, soft_wrap=True)
        err.print()
    if summary_line(diags):
        err.print(Text(summary_line(diags), style="bold red"))


def fail(message: str, code: int) -> NoReturn:
    """Print an error that has no source location and exit."""
    err.print(Text.assemble(("error:", "bold red"), f" {message}"), soft_wrap=True)
    raise SystemExit(code)


def require_folder_of(target: Path) -> None:
    """A usage error, before any work, when the file's folder does not exist."""
    if not target.parent.is_dir():
        fail(f"no such directory: {target.parent}", 2)
