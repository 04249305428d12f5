"""The value flowing from step to step, and the values a step makes."""

from __future__ import annotations

from collections.abc import Collection

from archdsl.elaborate.names import subexprs
from archdsl.ir import Value as Tensor
from archdsl.ops import OPS
from archdsl.ops.shape_math import Shape
from archdsl.syntax import ast

# The values a step makes; None where an error left them unknown.
Outs = tuple[Tensor, ...] | None


def outs_of(flow: Tensor | None) -> Outs:
    return None if flow is None else (flow,)


def shape_of(flow: Tensor | None) -> Shape | None:
    return None if flow is None else flow.shape


def join(prefix: str, name: str) -> str:
    """A module path one level below `prefix`."""
    return f"{prefix}.{name}" if prefix else name


def reads_flow(stmt: ast.Stmt, blocks: Collection[str]) -> bool:
    """Whether a statement starts from the value flowing in, rather than from a named
    value, a merge of named values or a `param`."""
    if isinstance(stmt, ast.Let):
        return any(isinstance(e, ast.InAttr) for e in subexprs(stmt.value))
    if not isinstance(stmt, ast.Chain | ast.Assign):
        return False
    first = (stmt if isinstance(stmt, ast.Chain) else stmt.chain).steps[0]
    if isinstance(first, ast.Call):
        if first.name in OPS:
            cls = OPS[first.name]
            return not cls.takes_values() and cls.arity[0] > 0
        return first.name in blocks  # else a value's name
    if isinstance(first, ast.Group):
        inner = [s for s in first.body.stmts if isinstance(s, ast.Chain | ast.Assign)]
        return not inner or reads_flow(inner[0], blocks)
    return True
