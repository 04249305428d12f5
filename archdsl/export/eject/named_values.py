"""What a body whose values may not form a chain needs to know of its text: whether
it is a plain chain, which of a block's parameters take values, how its input's
sizes are named, and whether the wiring found is a chain after all."""

from __future__ import annotations

from typing import Any

from archdsl.export.eject.errors import EjectError
from archdsl.export.eject.layers_nd import VALUE_MAKERS
from archdsl.export.eject.symbolic import choose, combine
from archdsl.export.eject.template import Expr, Wiring
from archdsl.ops import OPS
from archdsl.ops.base import Op
from archdsl.syntax import ast


def axes_named(prefix: str, rank: int) -> tuple[Expr | None, ...]:
    """The sizes of a block's input (or of a value it is given), named as parameters."""
    names = _AXES.get(rank, ("channels", *(f"size{i}" for i in range(1, rank))))
    return tuple(Expr(f"{prefix}_{n}", uses=frozenset({f"{prefix}_{n}"})) for n in names)


_AXES = {
    1: ("features",),
    2: ("channels", "features"),  # tokens [T, D], or a sequence [C, L]
    3: ("channels", "height", "width"),
    4: ("channels", "depth", "height", "width"),
}


def after_copies(
    size: Expr | None, before: Expr | None, count: Expr, varying: set[str]
) -> Expr | None:
    """An axis's size after `count` copies that each give `size` (None: unknown)."""
    if size is None or size.uses & varying:
        return None
    if count.literal:
        return size if count.value > 0 else before
    return None if before is None else choose(combine("{0} > 0", count), size, before)


def joins(cls: type[Op]) -> bool:
    """Whether the op reads named values or none, or cuts one into several: each call
    is a line of a forward. (An op that makes several values only with some arguments,
    `gru(..., state=true)`, is one where a call of it makes several.)"""
    return cls.takes_values() or cls.arity == (0, 0) or cls in VALUE_MAKERS


def value_name(arg: ast.Arg) -> str:
    if not isinstance(arg.value, ast.Name):
        raise EjectError("a merge joins named values")
    return arg.value.id


def is_chain(wiring: Wiring) -> bool:
    """Whether each step reads the one value the step before made, and the last's is out."""
    if len(wiring.inputs) != 1:
        return False
    current = wiring.inputs[0]
    for reads, makes in zip(wiring.reads, wiring.makes, strict=True):
        if reads != (current,) or len(makes) != 1:
            return False
        current = makes[0]
    return wiring.outputs == (current,)


def values_read(block: ast.BlockDef) -> list[str]:
    """The block's parameters it reads as named values, first read first."""
    params = {p.name for p in block.params}
    found: list[str] = []

    def visit(node: Any) -> None:
        if isinstance(node, ast.Call):
            names = [node.name] if not node.args else []
            joins = node.name in OPS and OPS[node.name].takes_values()
            for arg in node.args:
                if isinstance(arg.value, ast.Name) and (joins or arg.name is not None):
                    names.append(arg.value.id)
            for name in names:
                if name in params and name not in found:
                    found.append(name)
        if isinstance(node, tuple) or hasattr(node, "_fields"):
            for item in node:
                visit(item)

    visit(block.body)
    return found


def plain(stmts: tuple[ast.Stmt, ...], blocks: dict[str, ast.BlockDef]) -> bool:
    """Whether a body is a chain as written: no value is named, read by name or joined."""
    labels: set[str] = set()
    for stmt in stmts:
        if isinstance(stmt, ast.NamedInput | ast.Assign | ast.OutputStmt):
            return False
        if not isinstance(stmt, ast.Chain):
            continue
        for step in stmt.steps:
            if not isinstance(step, ast.Call):
                continue
            if step.name in OPS and joins(OPS[step.name]):
                return False
            if step.name not in OPS and step.name not in blocks:
                return False  # a value's name
            if any(isinstance(a.value, ast.Name) and a.value.id in labels for a in step.args):
                return False
        if stmt.label is not None:
            labels.add(stmt.label)
    return True
