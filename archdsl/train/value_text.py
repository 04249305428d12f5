"""A value written as in a train section (`0.1`, `cosine`, `sgd(lr=0.1)`, `[flip]`), read
by the spec grammar itself; `--set` and `archdsl.fit`'s keyword arguments use it."""

from __future__ import annotations

from archdsl.diagnostics import ArchError
from archdsl.elaborate.train_section import train_entries
from archdsl.ir import ConfigValue
from archdsl.syntax.parser import parse

VALUE_EXAMPLES = "e.g. 0.1, true, cosine, sgd(lr=0.1) or [flip, crop(32, padding=4)]"


def read_value(text: str) -> ConfigValue:
    """The value `text` writes; ValueError when it is not one value."""
    problem = ValueError(f"cannot read `{text}` as a value ({VALUE_EXAMPLES})")
    if not text or "\n" in text:
        raise problem
    try:
        unit = parse(f"train {{\n value {text}\n}}\n", file="--set")
    except ArchError:
        raise problem from None
    if len(unit.trains) != 1 or len(unit.trains[0].items) != 1 or unit.models or unit.blocks:
        raise problem
    entries, diags = train_entries(unit.trains[0])
    if diags or not entries:
        raise problem
    return entries[0].value
