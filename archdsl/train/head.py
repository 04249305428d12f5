"""What a model's last step does to its output: the loss must know (no torch here)."""

from __future__ import annotations

from archdsl.ir import BlockNode, GroupNode, Model, Node, OpNode, RepeatNode


def final_activation(model: Model, value: str | None = None) -> str | None:
    """`sigmoid` or `softmax` when the output trained (the value `value`, else the
    model's last) is made by one, so it gives probabilities."""
    if value is not None:
        maker = next(
            (n for n in model.root.walk() if isinstance(n, OpNode) and value in n.outputs), None
        )
        return (
            maker.op.name if maker is not None and maker.op.name in ("sigmoid", "softmax") else None
        )
    node: Node = model.root
    while isinstance(node, GroupNode | BlockNode | RepeatNode) and node.children:
        node = node.children[-1]
    if isinstance(node, OpNode) and node.op.name in ("sigmoid", "softmax"):
        return node.op.name
    return None
