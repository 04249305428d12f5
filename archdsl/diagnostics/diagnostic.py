"""The one structured form every user-facing error takes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from archdsl.diagnostics.span import Span


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Note:
    message: str
    span: Span | None = None

    def as_json(self) -> dict[str, Any]:
        return {"message": self.message, "span": self.span.as_json() if self.span else None}


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """A problem in a spec: a stable code, a message, where it is, and what to do."""

    code: str
    message: str
    span: Span | None
    notes: tuple[Note, ...] = ()
    help: str | None = None
    severity: Severity = Severity.ERROR

    def with_notes(self, *notes: Note) -> Diagnostic:
        return Diagnostic(
            self.code, self.message, self.span, self.notes + notes, self.help, self.severity
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "span": self.span.as_json() if self.span else None,
            "notes": [n.as_json() for n in self.notes],
            "help": self.help,
        }


@dataclass
class ArchError(Exception):
    """Raised for any mistake in a user's spec; carries every diagnostic found."""

    diagnostics: list[Diagnostic]
    sources: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Whoever found them, and in whatever order (pydantic reports a train
        # section's fields in declaration order), they are read in line order.
        self.diagnostics = in_line_order(self.diagnostics, list(self.sources))

    def __str__(self) -> str:
        from archdsl.diagnostics.render import render_all

        return render_all(self.diagnostics, self.sources)


def in_line_order(diags: list[Diagnostic], files: list[str]) -> list[Diagnostic]:
    """Diagnostics by place: those without one first, then by file (`files` in
    the order given, the main file first; others by name), line and column.
    The sort is stable, so diagnostics at one place keep the order found."""
    rank = {name: i for i, name in enumerate(files)}

    def place(diag: Diagnostic) -> tuple[int, str, int, int]:
        span = diag.span
        if span is None:
            return (-1, "", 0, 0)
        return (rank.get(span.file, len(rank)), span.file, span.line, span.col)

    return sorted(diags, key=place)
