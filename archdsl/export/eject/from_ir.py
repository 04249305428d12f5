"""IR nodes to the tree of constructor calls."""

from __future__ import annotations

from itertools import count

from archdsl.export.eject.layers import layer_for
from archdsl.export.eject.translate import python_name
from archdsl.export.eject.tree import Call, Merge, Rep, Res, Seq, Tree, canonical
from archdsl.ir import BlockNode, GroupNode, Node, OpNode, ParallelNode, RepeatNode, ResidualNode


def input_name(shape: tuple[int, ...]) -> str:
    """What a block calls its input's width: channels for maps, features for vectors."""
    return "in_channels" if len(shape) > 1 else "in_features"


def tree_for(node: Node, ids: count[int] | None = None) -> Tree:
    ids = ids if ids is not None else count()
    stateful = node.params + node.buffers > 0
    if isinstance(node, OpNode):
        return layer_for(node.op, node.in_shape, stateful, node.span)
    if isinstance(node, ResidualNode):
        project = _seq(node.project, ids) if node.project is not None else None
        return Res(_seq(node.body, ids), project, node.in_shape[0], node.out_shape[0], stateful)
    if isinstance(node, ParallelNode):
        return Merge(node.merge, tuple(_seq(b, ids) for b in node.children), stateful)
    if isinstance(node, RepeatNode):
        return Rep(tuple(tree_for(c, ids) for c in node.children), stateful, node.span)
    if isinstance(node, BlockNode):
        env = (
            (input_name(node.in_shape), node.in_shape[0]),
            *((python_name(name), canonical(value)) for name, value in node.args.items()),
        )
        return Call(node.block, env, _seq(node, ids), stateful, next(ids), node.span)
    return _seq(node, ids)


def _seq(node: GroupNode | BlockNode, ids: count[int]) -> Seq:
    steps = tuple(tree_for(c, ids) for c in node.children)
    stateful = node.params + node.buffers > 0
    keys = tuple(c.span for c in node.children)
    return Seq(tuple(c.name for c in node.children), steps, stateful, keys)
