"""`archdsl fmt`: the canonical layout of a spec. See `layout` for the rules."""

from archdsl.format.layout import format_text

__all__ = ["format_text"]
