"""Pydantic's refusals in the words a spec's author reads: "must be at least 1"."""

from __future__ import annotations

from typing import Any

REASONS = {
    "greater_than_equal": "must be at least {ge}",
    "greater_than": "must be greater than {gt}",
    "less_than_equal": "must be at most {le}",
    "less_than": "must be less than {lt}",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "finite_number": "must be a finite number",
    "too_short": "must have at least {min_length} items",
    "too_long": "must have at most {max_length} items",
}


def reason(err: dict[str, Any]) -> str:
    """What a single pydantic error says about the value, without the value."""
    kind = err["type"]
    if kind in REASONS:
        return REASONS[kind].format(**err.get("ctx", {}))
    if kind == "value_error":
        return str(err["ctx"]["error"])
    if kind == "literal_error":  # pydantic quotes the choices as Python does: 'none'
        return "must be " + str(err["ctx"]["expected"]).replace("'", '"')
    return str(err["msg"]).lower()
