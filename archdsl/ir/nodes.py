"""The IR: a tree of nodes that know their shapes, parameters and MACs.

Shapes are per sample; the batch dimension is implicit. Every node records
where in the source it came from, and its `path` is the dotted name the torch
backend gives the matching module. Data flows between nodes as values (see
`value.py`): each node lists the ids of the values it reads and makes, so the
tree of modules is also a graph of values.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Literal, Union

from archdsl.diagnostics import Span
from archdsl.ir.json_io import Adapted, JsonIO
from archdsl.ops import AnyOp

Shape = tuple[int, ...]
ArgValue = Annotated[int | float | bool | str | list["ArgValue"], Adapted("ArgValue")]


# Dataclasses with slots, their fields in the order their JSON lists them. The
# elaborator makes two objects a layer; a slots dataclass is quick to make.
@dataclass(slots=True, kw_only=True)
class NodeBase(JsonIO):
    name: str
    path: str
    span: Span
    in_shape: Shape  # the first input's shape; () for a node without input
    out_shape: Shape  # the first output's shape
    params: int
    buffers: int
    macs: int
    # Value ids: what the node reads (the flowing value first; for a composite,
    # the values its insides read from outside) and what it makes or exposes.
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    # The part of `macs` in attention's q·kᵀ and attn·v products.
    attention_macs: int = 0

    def subnodes(self) -> list[Node]:
        return []

    def walk(self) -> Iterator[Node]:
        """This node and all below it, parents before children."""
        stack: list[Node] = [self]  # type: ignore[list-item]
        while stack:
            node = stack.pop()
            yield node
            stack.extend(reversed(node.subnodes()))


@dataclass(slots=True, kw_only=True)
class OpNode(NodeBase):
    kind: Literal["op"] = "op"
    op: AnyOp


@dataclass(slots=True, kw_only=True)
class GroupNode(NodeBase):
    """A named sequence: a labelled chain, a branch, a residual body, the model itself."""

    kind: Literal["group"] = "group"
    children: list[Node]

    def subnodes(self) -> list[Node]:
        return self.children


@dataclass(slots=True, kw_only=True)
class BlockNode(NodeBase):
    """The expansion of one call of a user-defined block."""

    kind: Literal["block"] = "block"
    block: str
    call: str  # as written, with values: `bottleneck_stage(128, 4, stride=2)`
    args: dict[str, ArgValue]  # every parameter, defaults included
    children: list[Node]

    def subnodes(self) -> list[Node]:
        return self.children


@dataclass(slots=True, kw_only=True)
class RepeatNode(NodeBase):
    kind: Literal["repeat"] = "repeat"
    count: int
    children: list[Node]

    def subnodes(self) -> list[Node]:
        return self.children


@dataclass(slots=True, kw_only=True)
class ResidualNode(NodeBase):
    """body(x) + shortcut(x); the shortcut is `project` where the body changes the shape."""

    kind: Literal["residual"] = "residual"
    body: GroupNode
    project: GroupNode | None

    def subnodes(self) -> list[Node]:
        return [self.body] if self.project is None else [self.body, self.project]


@dataclass(slots=True, kw_only=True)
class ParallelNode(NodeBase):
    """Branches fed the same input, merged by channel concatenation, a sum or a product."""

    kind: Literal["parallel"] = "parallel"
    merge: Literal["concat", "add", "mul"]
    children: list[GroupNode]

    def subnodes(self) -> list[Node]:
        return list(self.children)


Node = Annotated[
    Union[OpNode, GroupNode, BlockNode, RepeatNode, ResidualNode, ParallelNode],  # noqa: UP007
    Adapted("Node"),  # validated by its `kind`
]


def describe(node: Node) -> str:
    """A short label for a node: the op with its arguments, or what the composite is."""
    if isinstance(node, OpNode):
        return node.op.summary()
    if isinstance(node, BlockNode):
        return node.call
    if isinstance(node, RepeatNode):
        return f"repeat({node.count})"
    if isinstance(node, ResidualNode):
        return "residual + project" if node.project else "residual"
    if isinstance(node, ParallelNode):
        return f"{node.merge} of {len(node.children)}"
    return "group"
