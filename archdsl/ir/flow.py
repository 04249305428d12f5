"""Questions about how values flow through the IR's containers."""

from __future__ import annotations

from archdsl.ir.nodes import BlockNode, GroupNode, Node, RepeatNode
from archdsl.ir.program import Model


def plain_chain(node: Node) -> bool:
    """Whether a container passes one value from child to child, its input into the
    first and the last one's output out (true for every node that is no container).

    IR written before values existed lists no inputs; its containers are all chains.
    """
    if not isinstance(node, GroupNode | BlockNode | RepeatNode) or not node.inputs:
        return True
    if len(node.inputs) != 1 or len(node.outputs) != 1:
        return False
    current = node.inputs
    for child in node.children:
        if child.inputs != current or len(child.outputs) != 1:
            return False
        current = child.outputs
    return current == node.outputs


def is_chain(model: Model) -> bool:
    """Whether the whole model is a chain: one input, one output, every container plain,
    and no value shared by every sample (`param`). Tools that only know chains
    (eject, the receptive field) ask this."""
    if len(model.inputs) > 1 or len(model.outputs) > 1:
        return False
    if any(not v.batched for v in model.values.values()):
        return False
    return all(plain_chain(n) for n in model.root.walk())
