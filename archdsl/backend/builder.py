"""IR to torch modules. Every shape comes from the IR; nothing is derived again here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from torch import nn

from archdsl.backend.modules import Add, Concat, Group, Mul, Repeat, Residual, Routes, block_module
from archdsl.backend.value_modules import Graph, Step
from archdsl.ir import (
    BlockNode,
    GroupNode,
    Model,
    Node,
    NodeBase,
    OpNode,
    ParallelNode,
    RepeatNode,
    ResidualNode,
    Value,
    plain_chain,
)
from archdsl.ir.inplace import out_of_place
from archdsl.ops.base import Operand

MERGES: dict[str, type[nn.Module]] = {"concat": Concat, "add": Add, "mul": Mul}


@dataclass
class Values:
    """What building a node needs to know of the values around it."""

    by_id: Mapping[str, Value] = field(default_factory=dict)
    # The in-place activations another reader shares the input of (ir/inplace.py).
    out_of_place: frozenset[str] = frozenset()


def build_model(model: Model) -> nn.Module:
    """The module of a whole model: its forward takes the model's inputs in order."""
    return module_for(model.root, Values(model.values, out_of_place(model)))


def module_for(node: Node, values: Values) -> nn.Module:
    """The module of one IR node; its children are named as the IR names them."""
    if isinstance(node, OpNode):
        return _op_module(node, values)
    if isinstance(node, ResidualNode):
        project = module_for(node.project, values) if node.project is not None else None
        parts = [node.body] if node.project is None else [node.body, node.project]
        return Residual(module_for(node.body, values), project, _routes(node, parts))
    if isinstance(node, ParallelNode):
        branches = [module_for(b, values) for b in node.children]
        return MERGES[node.merge](*branches, routes=_routes(node, node.children))
    if not plain_chain(node):
        return _graph(node, values)
    container: nn.Sequential
    if isinstance(node, BlockNode):
        container = block_module(node.block)
    elif isinstance(node, RepeatNode):
        container = Repeat()
    else:
        assert isinstance(node, GroupNode)
        container = Group()
    for child in node.children:
        container.add_module(child.name, module_for(child, values))
    return container


def _op_module(node: OpNode, values: Values) -> nn.Module:
    if not node.outputs:  # IR written before values: one input, one output
        return node.op.to_torch(node.in_shape, node.out_shape)
    by_id = values.by_id
    ins = [Operand(by_id[v].shape, by_id[v].batched) for v in node.inputs]
    outs = [by_id[v].shape for v in node.outputs]
    module = node.op.torch_of(ins, outs)
    if node.path in values.out_of_place:
        setattr(module, "inplace", False)  # noqa: B010 - another node reads what it would overwrite
    return module


def _routes(node: NodeBase, parts: list[GroupNode]) -> Routes:
    """Where each part's inputs sit among the composite's."""
    if not node.inputs:
        return [(0,)] * len(parts)
    index = {v: i for i, v in enumerate(node.inputs)}
    return [tuple(index[v] for v in part.inputs) for part in parts]


def _graph(node: GroupNode | BlockNode | RepeatNode, values: Values) -> Graph:
    """A container whose data flow is no chain: a plan of slots, computed once."""
    slot = {v: i for i, v in enumerate(node.inputs)}
    plan: list[Step] = []
    children: dict[str, nn.Module] = {}
    for child in node.children:
        children[child.name] = module_for(child, values)
        reads = tuple(slot[v] for v in child.inputs)
        for v in child.outputs:
            slot.setdefault(v, len(slot))
        plan.append((child.name, reads, tuple(slot[v] for v in child.outputs)))
    block = node.block if isinstance(node, BlockNode) else None
    outputs = tuple(slot[v] for v in node.outputs)
    return Graph(children, plan, len(node.inputs), outputs, len(slot), block)
