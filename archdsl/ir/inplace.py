"""Which activations may overwrite their input in place.

An in-place activation is safe only where nothing else reads the tensor it
overwrites. A tensor is shared not only by the nodes that read its value but by
everything that reads a value aliasing it: `identity` and `dropout` (at
inference) return their input itself, `flatten` and `chunk`/`split` views of it.
So readers are counted per tensor, an alias's readers with its source's, and a
merge implied by a composite (a residual's sum, a branch merge) reads too.
The outputs of `chunk`/`split` (and views of them) are never overwritten:
autograd refuses in-place changes to the views a multi-output op returns.
"""

from __future__ import annotations

from collections import Counter

from archdsl.ir.nodes import OpNode, ParallelNode, ResidualNode
from archdsl.ir.program import Model


def out_of_place(model: Model) -> frozenset[str]:
    """Paths of the in-place ops that must be built out of place: another reader (the
    caller of the model included, for its inputs and outputs) shares their input."""
    nodes = list(model.root.walk())  # op nodes in the order they run
    tensor: dict[str, str] = {}  # value id -> the id of the tensor it is or views
    split_views: set[str] = set()  # values that are (views of) a chunk's or split's outputs
    for node in nodes:
        if isinstance(node, OpNode) and node.op.view and node.inputs:
            source = tensor.get(node.inputs[0], node.inputs[0])
            tensor.update({out: source for out in node.outputs})
            if len(node.outputs) > 1 or node.inputs[0] in split_views:
                split_views.update(node.outputs)

    def reads(values: list[str]) -> list[str]:
        return [tensor.get(v, v) for v in values]

    readers: Counter[str] = Counter(reads([*model.inputs, *model.outputs]))
    for node in nodes:
        if isinstance(node, OpNode) and not node.op.view:
            readers.update(reads(node.inputs))
        elif isinstance(node, ResidualNode):
            parts = [node.body] if node.project is None else [node.body, node.project]
            readers.update(reads([p.outputs[0] for p in parts if p.outputs]))
            if node.project is None:
                readers.update(reads(node.inputs[:1]))  # the identity shortcut
        elif isinstance(node, ParallelNode):
            readers.update(reads([b.outputs[0] for b in node.children if b.outputs]))
    return frozenset(
        node.path
        for node in nodes
        if isinstance(node, OpNode)
        and node.op.in_place
        and node.inputs
        and (
            readers[tensor.get(node.inputs[0], node.inputs[0])] > 1 or node.inputs[0] in split_views
        )
    )
