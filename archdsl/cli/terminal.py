"""Styled text to a terminal without rich: what `archdsl check` prints.

Text comes as lines of (text, style) segments, styles named as rich names them
("bold red", "dim"). Written plainly when the stream shows no colour, and
otherwise with ANSI codes, one string per call: rich's console measured every
line and cell again, which made a 20,000-row table or 50,000 diagnostics cost
seconds. Colour follows the conventions rich follows: NO_COLOR turns it off,
FORCE_COLOR on, TERM=dumb off, and otherwise it is on for a terminal.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable
from typing import NoReturn, TextIO

from archdsl.diagnostics import Diagnostic
from archdsl.diagnostics.render import Line, layout, summary_line

_SGR = {
    "bold": "1", "dim": "2", "italic": "3", "red": "31", "green": "32",
    "yellow": "33", "blue": "34", "magenta": "35", "cyan": "36",
}  # fmt: skip
RESET = "\x1b[0m"

# Diagnostic segment roles and their styles.
STYLES = {
    "location": "bold",
    "error": "bold red",
    "warning": "bold yellow",
    "message": "bold",
    "gutter": "blue",
    "note": "bold cyan",
    "help": "bold green",
}


def shows_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def sgr(style: str) -> str:
    codes = ";".join(_SGR[word] for word in style.split() if word in _SGR)
    return f"\x1b[{codes}m" if codes else ""


def write_lines(lines: Iterable[Line], stream: TextIO, colour: bool) -> None:
    """Write lines of (text, style) segments, each ended by a newline, a few
    thousand lines per write so that a huge table is never held twice."""
    parts: list[str] = []
    for count, line in enumerate(lines, 1):
        for text, style in line:
            code = sgr(style) if colour else ""
            parts.append(f"{code}{text}{RESET}" if code and text else text)
        parts.append("\n")
        if count % 4096 == 0:
            stream.write("".join(parts))
            parts.clear()
    stream.write("".join(parts))
    stream.flush()


def print_diagnostics(diags: list[Diagnostic], sources: dict[str, str]) -> None:
    """Every diagnostic to stderr, then the count; quoted source is coloured by the
    .arch lexer when stderr shows colour (only then is Pygments loaded)."""
    colour = shows_colour(sys.stderr)
    lines: list[Line] = []
    for diag in diags:
        for line in layout(diag, sources):
            styled: Line = []
            for segment, role in line:
                if role == "source" and colour:
                    from archdsl.cli.source_highlight import highlight

                    styled += highlight(segment)
                else:
                    styled.append((segment, STYLES.get(role, "")))
            lines.append(styled)
        lines.append([])
    summary = summary_line(diags)
    if summary:
        lines.append([(summary, "bold red")])
    write_lines(lines, sys.stderr, colour)


def fail(message: str, code: int) -> NoReturn:
    """Print an error that has no source location and exit."""
    stream = sys.stderr
    write_lines([[("error:", "bold red"), (f" {message}", "")]], stream, shows_colour(stream))
    raise SystemExit(code)
