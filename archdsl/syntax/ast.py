"""The abstract syntax tree: what the user wrote, with a span on every node.

Nodes are NamedTuples: immutable, and far cheaper to define at import time
than dataclasses, which matters to a checker that must start in a blink.
"""

from __future__ import annotations

from typing import NamedTuple

from archdsl.diagnostics import Span

# ---- expressions ----------------------------------------------------------------


class Literal(NamedTuple):
    value: int | float | bool | str | tuple[int, int]
    span: Span


class Name(NamedTuple):
    id: str
    span: Span


class InAttr(NamedTuple):
    """`in.channels`: a property of the shape flowing into the current step."""

    attr: str
    span: Span
    attr_span: Span


class ValueAttr(NamedTuple):
    """`x.channels`: a property of the shape of the named value `x`."""

    name: str
    attr: str
    span: Span
    name_span: Span
    attr_span: Span


class ListExpr(NamedTuple):
    items: tuple[Expr, ...]
    span: Span


class BinOp(NamedTuple):
    op: str
    left: Expr
    right: Expr
    span: Span
    op_span: Span


class UnaryOp(NamedTuple):
    op: str  # "-", "+" or "not"
    operand: Expr
    span: Span


class CondExpr(NamedTuple):
    cond: Expr
    then: Expr
    orelse: Expr
    span: Span


class FuncCall(NamedTuple):
    name: str
    args: tuple[Arg, ...]
    span: Span
    name_span: Span


Expr = Literal | Name | InAttr | ValueAttr | ListExpr | BinOp | UnaryOp | CondExpr | FuncCall


class Arg(NamedTuple):
    """One argument of a call: positional when `name` is None."""

    name: str | None
    value: Expr
    span: Span
    name_span: Span | None = None


# ---- steps ------------------------------------------------------------------------


class Call(NamedTuple):
    """`conv(64, 3x3)`, `relu` or `bottleneck(64)`: an op or a block."""

    name: str
    args: tuple[Arg, ...]
    span: Span
    name_span: Span


class Residual(NamedTuple):
    body: Body
    project: Body | None
    span: Span
    keyword_span: Span


class Branch(NamedTuple):
    stmts: tuple[Stmt, ...]
    span: Span


class Parallel(NamedTuple):
    merge: str  # "concat", "add" or "mul"
    branches: tuple[Branch, ...]
    span: Span
    keyword_span: Span


class Repeat(NamedTuple):
    times: Expr
    var: str | None
    body: Step
    span: Span
    keyword_span: Span


class If(NamedTuple):
    cond: Expr
    then: Body
    orelse: Body | If | None
    span: Span


class Group(NamedTuple):
    body: Body
    span: Span


Step = Call | Residual | Parallel | Repeat | If | Group


class Body(NamedTuple):
    stmts: tuple[Stmt, ...]
    span: Span


# ---- statements -------------------------------------------------------------------


class Chain(NamedTuple):
    """`a -> b -> c` (or one step); a label turns it into a named group."""

    steps: tuple[Step, ...]
    span: Span
    label: str | None = None
    label_span: Span | None = None


class Let(NamedTuple):
    name: str
    value: Expr
    span: Span
    name_span: Span


class InputStmt(NamedTuple):
    shape: Expr
    span: Span


class NamedInput(NamedTuple):
    """`input image: [3, 224, 224]` in a model; `input x` (no shape) in a block."""

    name: str
    shape: Expr | None
    span: Span
    name_span: Span


class Assign(NamedTuple):
    """`e1 = conv(16, 3x3) -> relu` or `a, b = chunk(2)`: names the chain's results."""

    names: tuple[str, ...]
    name_spans: tuple[Span, ...]
    chain: Chain
    span: Span


class OutputStmt(NamedTuple):
    """`output logits, aux`: the values a model or block gives out, in order."""

    names: tuple[str, ...]
    name_spans: tuple[Span, ...]
    span: Span


class ExpectItem(NamedTuple):
    key: str
    value: Expr
    span: Span
    key_span: Span


class ExpectStmt(NamedTuple):
    items: tuple[ExpectItem, ...]
    span: Span


Stmt = Chain | Let | InputStmt | ExpectStmt | NamedInput | Assign | OutputStmt


# ---- top level --------------------------------------------------------------------


class Use(NamedTuple):
    path: str
    span: Span


class Param(NamedTuple):
    name: str
    default: Expr | None
    span: Span


class BlockDef(NamedTuple):
    name: str
    params: tuple[Param, ...]
    body: Body
    span: Span
    name_span: Span


class ModelDef(NamedTuple):
    name: str
    body: Body
    span: Span
    name_span: Span


class TrainItem(NamedTuple):
    key: str
    value: Expr
    span: Span
    key_span: Span


class TrainDef(NamedTuple):
    model: str | None
    items: tuple[TrainItem, ...]
    span: Span
    model_span: Span | None = None


class SourceFile(NamedTuple):
    path: str
    uses: list[Use]
    blocks: list[BlockDef]
    models: list[ModelDef]
    trains: list[TrainDef]
