"""What a model's last step does to its output: the loss must know (no torch here)."""

from __future__ import annotations

from archdsl.ir import BlockNode, GroupNode, Model, Node, OpNode, RepeatNode


def final_activation(model: Model) -> str | None:
    """`sigmoid` or `softmax` when the model ends in one, so its outputs are probabilities."""
    node: Node = model.root
    while isinstance(node, GroupNode | BlockNode | RepeatNode) and node.children:
        node = node.children[-1]
    if isinstance(node, OpNode) and node.op.name in ("sigmoid", "softmax"):
        return node.op.name
    return None
