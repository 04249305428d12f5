"""Diagnostics as text: `file:line:col: error: ...`, the line as written, a caret.

Layout is computed once as styled segments; `render` drops the styles for
plain text, and the CLI turns the same segments into colours.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from archdsl.diagnostics.diagnostic import Diagnostic

Segment = tuple[str, str]  # (text, style name: "", "error", "warning", "gutter", ...)
Line = list[Segment]


@lru_cache(maxsize=16)
def _lines(text: str) -> list[str]:
    """A source's lines as the lexer counts them: only "\n" ends one. (splitlines
    would also split at form feeds and other separators the grammar treats as
    blanks.) Cached, so that printing thousands of diagnostics splits each file
    once: a str caches its hash, so a lookup costs no pass over the text."""
    return text.split("\n")


def _source_line(sources: dict[str, str], file: str, line: int) -> str | None:
    text = sources.get(file)
    if text is None:
        return None
    lines = _lines(text)
    if 1 <= line <= len(lines):
        return "".join(map(_visible, lines[line - 1].removesuffix("\r")))
    return None


def _visible(char: str) -> str:
    """One column for one character, so the caret lines up, and nothing a terminal
    would act on (an escape sequence in a spec must not restyle the screen)."""
    if char.isprintable():
        return char
    return " " if char.isspace() else "\ufffd"


def layout(diag: Diagnostic, sources: dict[str, str]) -> list[Line]:
    span = diag.span
    level = diag.severity.value
    head: Line = []
    if span:
        head.append((f"{span}: ", "location"))
    head += [(f"{level}:", level), (f" {diag.message}", "message")]
    out = [head]
    width = len(str(span.line)) if span else 0
    gutter = " " * width
    if span:
        text = _source_line(sources, span.file, span.line)
        if text is not None:
            end = span.end_col if span.end_line == span.line else len(text) + 1
            carets = "^" * max(1, end - span.col)
            out.append([(f"{gutter} |", "gutter")])
            out.append([(f"{span.line} | ", "gutter"), (text, "source")])
            out.append([(f"{gutter} | ", "gutter"), (" " * (span.col - 1), ""), (carets, level)])
    for note in diag.notes:
        at = f" at {note.span}" if note.span else ""
        out.append([(f"{gutter} = ", "gutter"), ("note", "note"), (f": {note.message}{at}", "")])
    if diag.help:
        out.append([(f"{gutter} = ", "gutter"), ("help", "help"), (f": {diag.help}", "")])
    return out


def render(diag: Diagnostic, sources: dict[str, str]) -> str:
    return "\n".join("".join(text for text, _ in line) for line in layout(diag, sources))


def summary_line(diags: list[Diagnostic]) -> str:
    errors = sum(1 for d in diags if d.severity.value == "error")
    return f"{errors} error{'s' if errors != 1 else ''} found" if errors else ""


def render_all(diags: Iterable[Diagnostic], sources: dict[str, str]) -> str:
    diags = list(diags)
    parts = [render(d, sources) for d in diags]
    if summary_line(diags):
        parts.append(summary_line(diags))
    return "\n\n".join(parts)
