"""Building IR nodes from values elaboration has already checked."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from archdsl.elaborate.values import Ref, Symbol, Value, show
from archdsl.ir import BlockNode, GroupNode, NodeBase, ParallelNode, RepeatNode, ResidualNode
from archdsl.ir import Value as Tensor
from archdsl.syntax import ast

N = TypeVar("N", GroupNode, BlockNode, RepeatNode, ResidualNode, ParallelNode)


def composite(cls: type[N], parts: Sequence[NodeBase], **fields: Any) -> N:
    """A composite node, its counts the sums of its parts' (built from checked values)."""
    params = buffers = macs = attention = 0
    for part in parts:
        params += part.params
        buffers += part.buffers
        macs += part.macs
        attention += part.attention_macs
    return cls(
        params=params,
        buffers=buffers,
        macs=macs,
        attention_macs=attention,
        **fields,
    )


def reads(flow: Tensor, parts: Sequence[NodeBase], gives: Sequence[Tensor]) -> list[str]:
    """The ids of the values a composite reads from outside: the flowing one first, then
    those its parts read (or it gives out) that none of its parts makes."""
    found = dict.fromkeys([flow.id])
    made: set[str] = set()
    for part in parts:
        for vid in part.inputs:
            if vid not in made:
                found.setdefault(vid)
        made.update(part.outputs)
    for value in gives:
        if value.id not in made:
            found.setdefault(value.id)
    return list(found)


def call_text(call: ast.Call, block: ast.BlockDef, scope: dict[str, Value]) -> str:
    """The call as written, each argument replaced by its value: `stage(128, 4, stride=2)`."""
    params = [p.name for p in block.params]
    parts = []
    for i, arg in enumerate(call.args):
        if arg.name is None:
            parts.append(show(scope[params[i]]))
        else:
            parts.append(f"{arg.name}={show(scope[arg.name])}")
    return f"{call.name}({', '.join(parts)})" if parts else call.name


def plain(value: Any) -> Any:
    """A block argument as JSON-friendly data for the IR."""
    if isinstance(value, Symbol | Ref):
        return value.name
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value
