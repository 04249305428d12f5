"""A class's body with each argument written as Python over the class's parameters."""

from __future__ import annotations

from dataclasses import dataclass

from archdsl.export.eject.tree import Value

# Precedence of an expression's outermost operator, to parenthesise only where needed.
ATOM, MUL, ADD, COMPARE, NOT, AND, OR = 7, 6, 5, 4, 3, 2, 1


@dataclass(frozen=True)
class Expr:
    code: str
    prec: int = ATOM
    uses: frozenset[str] = frozenset()
    literal: bool = False
    value: Value = None
    # For `not x`: x itself, so that negating it again gives x back.
    negated: Expr | None = None
    # For a list `[a, b]`: its items, where each is known as an expression (or None).
    items: tuple[Expr | None, ...] | None = None

    def wrap(self, prec: int) -> str:
        """The code, in parentheses when its operator binds looser than `prec`."""
        return f"({self.code})" if self.prec < prec else self.code


def literal(value: Value) -> Expr:
    return Expr(python(value), literal=True, value=value)


def name(param: str) -> Expr:
    return Expr(param, uses=frozenset({param}))


def python(value: Value) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        inner = ", ".join(python(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


@dataclass(frozen=True)
class TSlot:
    name: str
    expr: Expr
    positional: bool
    omit: bool  # a keyword left at torch's default


@dataclass(frozen=True)
class TLayer:
    ctor: str
    slots: tuple[TSlot, ...]


@dataclass(frozen=True)
class Wiring:
    """A forward pass through values that do not form a chain: the locals it takes,
    those each step reads and makes, and those it returns."""

    inputs: tuple[str, ...]
    reads: tuple[tuple[str, ...], ...]
    makes: tuple[tuple[str, ...], ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class TSeq:
    names: tuple[str, ...]
    steps: tuple[Template, ...]
    stateful: tuple[bool, ...]
    # Where a step is taken only in some calls, the condition under which it is;
    # such a sequence is always numbered, its steps counted as they come.
    conditions: tuple[Expr | None, ...] = ()
    wiring: Wiring | None = None  # None: a chain

    def optional(self) -> bool:
        return any(c is not None for c in self.conditions)


@dataclass(frozen=True)
class TRes:
    body: TSeq
    project: TSeq | None
    condition: Expr | None  # None: the projection is always there (when there is one)


@dataclass(frozen=True)
class TMerge:
    kind: str
    branches: tuple[TSeq, ...]


@dataclass(frozen=True)
class TRep:
    """`first` then `count` copies of `rest` (either may be absent), or `copies` listed."""

    first: Template | None
    rest: Template | None
    count: Expr
    copies: tuple[Template, ...] = ()
    var: str = "_"  # the loop variable, where copies differ by it


@dataclass(frozen=True)
class TInstance:
    cls: str
    args: tuple[tuple[str, Expr], ...]
    # Arguments the spec's call leaves to the block's defaults: left out where the
    # class's signature has the default too.
    implicit: frozenset[str] = frozenset()


Template = TLayer | TSeq | TRes | TMerge | TRep | TInstance
