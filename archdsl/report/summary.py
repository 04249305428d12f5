"""What a report says about a model, independent of how it is shown."""

from __future__ import annotations

from functools import lru_cache
from math import prod
from typing import NamedTuple

from archdsl.ir import BlockNode, Model, Node, OpNode, ParallelNode, ResidualNode, describe
from archdsl.ops.shape_math import fmt_full, fmt_shape, full_shape

BYTES_PER_ELEMENT = 4  # float32


class Row(NamedTuple):  # a tuple: built once per row of a table of 20,000
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
        if not kids:  # most rows: a layer
            out.append(Row(node, depth, False))
            continue
        hidden = max_depth is not None and depth >= max_depth
        out.append(Row(node, depth, hidden))
        if not hidden:
            stack += [(k, depth + 1) for k in reversed(kids)]
    return out


def value_label(model: Model, vid: str) -> str:
    """A value as the report names it: the user's name, else its id (`3.5`, `@image`)."""
    value = model.values.get(vid)
    return value.name if value is not None and value.name else vid


def op_text(node: Node, model: Model) -> str:
    """A row's op: `describe`, and for a merge the values it joins: `add(e2, extra)`."""
    text = describe(node)
    if isinstance(node, OpNode) and node.op.takes_values():
        names = ", ".join(value_label(model, v) for v in node.inputs)
        args = text[len(node.op.name) + 1 : -1] if text.endswith(")") else ""
        text = f"{node.op.name}({names}{', ' + args if args else ''})"
    return text


def value_shape(model: Model, vid: str) -> str:
    """A value's shape as shown: `[N, 64, 8, 8]`, or a shared one's whole `[1, 768]`."""
    value = model.values[vid]
    return _shape_text(value.shape, value.batched)


@lru_cache(maxsize=4096)
def _shape_text(shape: tuple[int, ...], batched: bool) -> str:
    """Worded once per shape: a table of 20,000 rows has a handful of shapes."""
    return fmt_full(full_shape(shape, batched))


def out_text(node: Node, model: Model) -> str:
    """A row's output: its shape, a shared value's whole shape, or several shapes."""
    outputs, values = node.outputs, model.values
    if len(outputs) == 1:  # most rows, the quickest way
        value = values.get(outputs[0])
        if value is not None:
            return _shape_text(value.shape, value.batched)
    if not outputs or outputs[0] not in values:
        return fmt_shape(node.out_shape)
    return ", ".join(value_shape(model, v) for v in outputs)


def op_name(node: Node) -> str:
    """The op, block or composite a node is: `conv`, `bottleneck`, `concat`, `repeat`."""
    if isinstance(node, OpNode):
        return node.op.name
    if isinstance(node, BlockNode):
        return node.block
    if isinstance(node, ParallelNode):
        return node.merge
    return node.kind


class Tally(NamedTuple):
    layers: int  # ops
    activations: int  # elements of every tensor the forward pass makes, per sample


def tally(model: Model) -> Tally:
    """The layers and activation elements of a model, in one pass over its nodes.

    Activations are each op's output, plus the outputs of merges (a concat or a
    residual sum).
    """
    layers = elements = 0
    stack: list[Node] = [model.root]
    while stack:
        node = stack.pop()
        if isinstance(node, OpNode):  # a leaf: most nodes of a large model
            layers += 1
            elements += prod(node.out_shape)
            continue
        if isinstance(node, ParallelNode | ResidualNode):
            elements += prod(node.out_shape)
        stack += node.subnodes()
    return Tally(layers, elements)


def layer_count(model: Model) -> int:
    return tally(model).layers


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
