"""Diagnostics: what archdsl tells a user about their spec."""

from archdsl.diagnostics.diagnostic import ArchError, Diagnostic, Note, Severity
from archdsl.diagnostics.span import Span

__all__ = ["ArchError", "Diagnostic", "Note", "Severity", "Span"]
