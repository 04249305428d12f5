"""IR nodes to the tree of constructor calls."""

from __future__ import annotations

import keyword
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import count

from archdsl.export.eject.layers import layer_for
from archdsl.export.eject.translate import python_name
from archdsl.export.eject.tree import Call, Merge, Rep, Res, Seq, Tree, Wiring, canonical
from archdsl.ir import (
    BlockNode,
    GroupNode,
    Model,
    Node,
    OpNode,
    ParallelNode,
    RepeatNode,
    ResidualNode,
    Value,
    plain_chain,
)
from archdsl.ir.inplace import out_of_place
from archdsl.ops.base import Operand


class EjectError(Exception):
    """A model eject cannot write as plain PyTorch; the message says which part."""


def input_name(shape: tuple[int, ...]) -> str:
    """What a block calls its input's width: channels for maps, features for vectors."""
    return "in_channels" if len(shape) > 1 else "in_features"


def tree_for_model(model: Model) -> Seq:
    return _Trees(model.values, out_of_place(model)).seq(model.root, class_body=True)


@dataclass
class _Trees:
    values: Mapping[str, Value]
    out_of_place: frozenset[str]
    ids: count[int] = field(default_factory=count)

    def tree(self, node: Node) -> Tree:
        stateful = node.params + node.buffers > 0
        if isinstance(node, OpNode):
            operands = [Operand(self.values[v].shape, self.values[v].batched) for v in node.inputs]
            in_place = node.path not in self.out_of_place
            try:
                return layer_for(node.op, node.in_shape, stateful, node.span, operands, in_place)
            except KeyError:
                raise EjectError(f"eject has no PyTorch source for `{node.op.name}` yet") from None
        if isinstance(node, ResidualNode | ParallelNode) and len(node.inputs) > 1:
            raise EjectError(
                f"a branch of `{node.path}` reads a named value from outside it; "
                "write that merge with named values (`add(a, b)`) to eject it"
            )
        if isinstance(node, ResidualNode):
            body = self.seq(node.body)
            project = self.seq(node.project) if node.project is not None else None
            return Res(body, project, node.in_shape[0], node.out_shape[0], stateful)
        if isinstance(node, ParallelNode):
            return Merge(node.merge, tuple(self.seq(b) for b in node.children), stateful)
        if isinstance(node, RepeatNode):
            if not plain_chain(node):
                raise EjectError(f"the repeat `{node.path}` is no chain; make its body a block")
            return Rep(tuple(self.tree(c) for c in node.children), stateful, node.span)
        if isinstance(node, BlockNode):
            env = (
                (input_name(node.in_shape), node.in_shape[0]),
                *((python_name(name), canonical(value)) for name, value in node.args.items()),
            )
            body = self.seq(node, class_body=True)
            return Call(node.block, env, body, stateful, next(self.ids), node.span)
        return self.seq(node)

    def seq(self, node: GroupNode | BlockNode, class_body: bool = False) -> Seq:
        steps = tuple(self.tree(c) for c in node.children)
        stateful = node.params + node.buffers > 0
        keys = tuple(c.span for c in node.children)
        names = tuple(c.name for c in node.children)
        if plain_chain(node):
            return Seq(names, steps, stateful, keys)
        if not class_body:
            where = f"`{node.path}`" if node.path else "the model"
            raise EjectError(
                f"the group {where} joins named values; eject writes a forward from "
                "named values only for a model or a block: make the group a block"
            )
        return Seq(names, steps, stateful, keys, self._wiring(node))

    def _wiring(self, node: GroupNode | BlockNode) -> Wiring:
        """Local names for the values a container's forward passes around: the spec's
        names where it gave them, `x` for a block's input, else the step's label or
        `h` and its number."""
        local: dict[str, str] = {}
        taken = {"self", "torch", "nn", "F"}

        def give(value: str, base: str) -> None:
            if value in local:
                return
            candidate, i = base, 2
            while candidate in taken or keyword.iskeyword(candidate):
                candidate, i = f"{base}{i}", i + 1
            taken.add(candidate)
            local[value] = candidate

        for i, value in enumerate(node.inputs):
            name = self.values[value].name if not node.path else None
            give(value, python_name(name) if name else "x" if i == 0 else f"x{i + 1}")
        for child in node.children:
            # An unnamed value is called after its step: its label, else `h` and its number.
            step = python_name(child.name) if not child.name.isdigit() else f"h{child.name}"
            for j, value in enumerate(child.outputs):
                name = self.values[value].name
                give(value, python_name(name) if name else f"{step}_{j}" if j else step)
        return Wiring(
            tuple(local[v] for v in node.inputs),
            tuple(tuple(local[v] for v in c.inputs) for c in node.children),
            tuple(tuple(local[v] for v in c.outputs) for c in node.children),
            tuple(local[v] for v in node.outputs),
        )
