"""A value of the graph IR: a tensor some node makes and others read."""

from __future__ import annotations

from dataclasses import dataclass

from archdsl.diagnostics import Span
from archdsl.ir.json_io import JsonIO

Shape = tuple[int, ...]


@dataclass(slots=True, kw_only=True)
class Value(JsonIO):
    """One tensor flowing between nodes.

    `id` is unique in its model: an op's first output is its path, further ones
    `path#1`, `path#2`; a model input is `@name`. `shape` is per sample, unless
    the value is shared by every sample (`batched` false, a `param`): then it is
    the whole stored shape.
    """

    id: str
    shape: Shape
    batched: bool = True
    span: Span
    name: str | None = None
