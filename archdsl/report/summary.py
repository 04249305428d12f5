"""What a report says about a model, independent of how it is shown."""

from __future__ import annotations

from dataclasses import dataclass

from archdsl.ir import BlockNode, Model, Node, OpNode, ParallelNode, ResidualNode, describe
from archdsl.ops.shape_math import numel

BYTES_PER_ELEMENT = 4  # float32


@dataclass(frozen=True, slots=True)
class Row:
    node: Node
    depth: int  # 0 for the model's own steps
    collapsed: bool  # has children that the depth limit hides

    @property
    def op(self) -> str:
        return describe(self.node)


def rows(model: Model, max_depth: int | None = None) -> list[Row]:
    """Nodes in order, parents first, down to `max_depth` (None: all)."""
    out: list[Row] = []
    stack: list[tuple[Node, int]] = [(n, 0) for n in reversed(model.root.children)]
    while stack:
        node, depth = stack.pop()
        kids = node.subnodes()
        hidden = max_depth is not None and depth >= max_depth and bool(kids)
        out.append(Row(node, depth, hidden))
        if not hidden:
            stack.extend((k, depth + 1) for k in reversed(kids))
    return out


def op_name(node: Node) -> str:
    """The op, block or composite a node is: `conv`, `bottleneck`, `concat`, `repeat`."""
    if isinstance(node, OpNode):
        return node.op.name
    if isinstance(node, BlockNode):
        return node.block
    if isinstance(node, ParallelNode):
        return node.merge
    return node.kind


def activation_elements(model: Model) -> int:
    """Elements of every tensor the forward pass materialises, per sample.

    Each op's output, plus the outputs of merges (a concat or a residual sum).
    """
    total = 0
    for node in model.root.walk():
        if isinstance(node, OpNode | ParallelNode | ResidualNode):
            total += numel(node.out_shape)
    return total


def layer_count(model: Model) -> int:
    return sum(1 for n in model.root.walk() if isinstance(n, OpNode))


def human(n: int | float) -> str:
    """25557032 as 25.6M: three significant figures with a unit."""
    for unit, size in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.3g}{unit}"
    return str(n)


def human_bytes(n: int) -> str:
    for unit, size in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n} B"
