"""IR to torch modules. Every shape comes from the IR; nothing is derived again here."""

from __future__ import annotations

from torch import nn

from archdsl.backend.modules import Add, Concat, Group, Mul, Repeat, Residual, block_module
from archdsl.ir import (
    BlockNode,
    GroupNode,
    Node,
    OpNode,
    ParallelNode,
    RepeatNode,
    ResidualNode,
)

MERGES: dict[str, type[nn.Module]] = {"concat": Concat, "add": Add, "mul": Mul}


def module_for(node: Node) -> nn.Module:
    """The module of one IR node; its children are named as the IR names them."""
    if isinstance(node, OpNode):
        return node.op.to_torch(node.in_shape, node.out_shape)
    if isinstance(node, ResidualNode):
        project = module_for(node.project) if node.project is not None else None
        return Residual(module_for(node.body), project)
    if isinstance(node, ParallelNode):
        branches = [module_for(b) for b in node.children]
        return MERGES[node.merge](*branches)
    container: nn.Sequential
    if isinstance(node, BlockNode):
        container = block_module(node.block)
    elif isinstance(node, RepeatNode):
        container = Repeat()
    else:
        assert isinstance(node, GroupNode)
        container = Group()
    for child in node.children:
        container.add_module(child.name, module_for(child))
    return container
