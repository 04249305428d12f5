"""Names of values: where each is made, uses before their definition, cycles, and
values never used."""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from archdsl.diagnostics import Diagnostic, Note, Severity, Span
from archdsl.diagnostics.suggest import did_you_mean
from archdsl.elaborate.static import walk
from archdsl.elaborate.values import Ref, Value
from archdsl.syntax import ast

NESTED_HELP = (
    "values made inside a residual, branch, `{ }` group, repeat, `if` or block stay "
    "inside it; make it before, at the level where it is used"
)


class Later(NamedTuple):  # a tuple: one per name of a body, built as the body opens
    """A name a body gives further down: where, and the statement that gives it."""

    span: Span
    stmt: ast.Assign


def subexprs(expr: ast.Expr) -> Iterator[ast.Expr]:
    """An expression and every expression inside it."""
    todo: list[ast.Expr] = [expr]
    while todo:
        node = todo.pop()
        yield node
        if isinstance(node, ast.ListExpr):
            todo.extend(node.items)
        elif isinstance(node, ast.BinOp):
            todo += [node.left, node.right]
        elif isinstance(node, ast.UnaryOp):
            todo.append(node.operand)
        elif isinstance(node, ast.CondExpr):
            todo += [node.cond, node.then, node.orelse]
        elif isinstance(node, ast.FuncCall):
            todo.extend(a.value for a in node.args)


def expr_names(expr: ast.Expr) -> Iterator[str]:
    """Every name an expression mentions."""
    for node in subexprs(expr):
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.ValueAttr):
            yield node.name


def mentioned(stmt: ast.Assign) -> set[str]:
    """The names a statement reads: steps that name values, and names in arguments."""
    names: set[str] = set()
    for item in walk((stmt.chain,)):
        if isinstance(item, ast.Call):
            if not item.args:
                names.add(item.name)
            for arg in item.args:
                names.update(expr_names(arg.value))
    return names


class Names:
    """The names of values while a model is elaborated."""

    def __init__(self) -> None:
        self.later: list[dict[str, Later]] = []  # per open body, innermost last
        # Per open body, innermost last (the first holds a model's inputs): each name
        # given there, where, and what it is, for the note on a second binding.
        self.given: list[dict[str, tuple[Span, str]]] = [{}]
        self.defining: list[ast.Assign] = []  # the assignments being elaborated
        self.refs: list[Ref] = []  # every name given, for unused values and "not visible"

    def enter(self, stmts: tuple[ast.Stmt, ...], params: tuple[ast.Param, ...] = ()) -> None:
        """A body opens: `stmts` are its statements, `params` a block's parameters."""
        later: dict[str, Later] = {}
        for stmt in stmts:
            if isinstance(stmt, ast.Assign):
                for name, span in zip(stmt.names, stmt.name_spans, strict=True):
                    later.setdefault(name, Later(span, stmt))
        self.later.append(later)
        self.given.append({p.name: (p.span, "a parameter of the block") for p in params})

    def leave(self) -> None:
        self.later.pop()
        self.given.pop()

    def start(self, stmt: ast.Assign) -> None:
        """`stmt` is being elaborated: its names are no longer ahead."""
        top = self.later[-1]
        for name in stmt.names:
            if name in top and top[name].stmt is stmt:
                del top[name]
        self.defining.append(stmt)

    def done(self) -> None:
        self.defining.pop()

    def give(self, scope: dict[str, Value], ref: Ref, what: str = "a value") -> None:
        scope[ref.name] = ref
        self.refs.append(ref)
        self.noted(ref.name, ref.span, what)

    def noted(self, name: str, span: Span, what: str) -> None:
        """`name` is given at `span` in the innermost open body; `what` it is, in words."""
        self.given[-1].setdefault(name, (span, what))

    def rebound(self, name: str, span: Span, scope: dict[str, Value]) -> Diagnostic | None:
        """The error for giving `name`, at `span`, where it is already bound: a name is
        given once in its body and the bodies nested there (no shadowing)."""
        if name not in scope:
            return None
        # The innermost record is the binding in scope: a block's scope starts from its
        # parameters, and the records of closed bodies are gone.
        first = next((f[name] for f in reversed(self.given) if name in f), None)
        what = first[1] if first is not None else "in use here"
        notes = (Note(f"`{name}` is first given", first[0]),) if first is not None else ()
        return Diagnostic(
            "duplicate",
            f"`{name}` is already {what}; a name is given once",
            span,
            notes=notes,
            help=f"give this one another name, e.g. `{name}2`, and use that below",
        )

    # ---- a name that is not in scope ------------------------------------------
    def undefined(self, name: str, span: Span, scope: dict[str, Value]) -> Diagnostic:
        """Why `name`, written at `span`, names no value here."""
        for later in reversed(self.later):
            if name in later:
                return self._too_early(name, span, later[name])
        for ref in reversed(self.refs):
            if ref.name == name:
                return Diagnostic(
                    "unknown-name",
                    f"value `{name}` is not visible here",
                    span,
                    notes=(Note(f"`{name}` is made", ref.span),),
                    help=NESTED_HELP,
                )
        for stmt in self.defining:
            if name in stmt.names:
                return Diagnostic(
                    "cycle",
                    f"`{name}` is used in its own definition",
                    span,
                    help="a value is made from values made before it",
                )
        values = [n for n, v in scope.items() if isinstance(v, Ref)]
        return Diagnostic(
            "unknown-name",
            f"unknown value `{name}`",
            span,
            help=did_you_mean(name, [*values, *scope]) or _known(values),
        )

    def _too_early(self, name: str, span: Span, later: Later) -> Diagnostic:
        cycle = self._cycle(name, later)
        if cycle is not None:
            return Diagnostic(
                "cycle",
                f"values depend on each other in a cycle: {' -> '.join(cycle)}",
                span,
                notes=(Note(f"`{name}` is made later", later.span),),
                help="a value is made from values made before it; break the cycle",
            )
        return Diagnostic(
            "unknown-name",
            f"value `{name}` is used before it is made",
            span,
            notes=(Note(f"`{name}` is made later", later.span),),
            help=f"move the line that makes `{name}` above this one",
        )

    def _cycle(self, name: str, later: Later) -> list[str] | None:
        """The path of names from the one being defined through `name` back to it, if the
        later definition of `name` (or one it needs) reads a name being defined now."""
        current = {n for stmt in self.defining for n in stmt.names}
        if not current:
            return None
        ahead: dict[str, Later] = {}
        for frame in self.later:
            ahead.update(frame)
        start = self.defining[-1].names[0]
        path: dict[str, str | None] = {name: None}
        todo = [(name, later)]
        while todo:
            at, where = todo.pop()
            for used in sorted(mentioned(where.stmt)):
                if used in current:
                    chain = [at]
                    back = path[at]
                    while back is not None:
                        chain.append(back)
                        back = path[back]
                    return [start, *reversed(chain), used]
                if used in ahead and used not in path:
                    path[used] = at
                    todo.append((used, ahead[used]))
        return None

    # ---- values never used ---------------------------------------------------
    def unused(self, consumed: set[str]) -> list[Diagnostic]:
        """A warning for each named value no step reads and no `output` gives out."""
        found: list[Diagnostic] = []
        for ref in self.refs:
            if not ref.warn or ref.used or ref.tensor is None or ref.tensor.id in consumed:
                continue
            found.append(
                Diagnostic(
                    "unused",
                    f"value `{ref.name}` is never used",
                    ref.span,
                    help=f"use it, or remove the name `{ref.name}`",
                    severity=Severity.WARNING,
                )
            )
        return found


def _known(values: list[str]) -> str:
    if not values:
        return "no value is named here yet; name one with `x = ...`"
    return "the values here are " + ", ".join(f"`{v}`" for v in values[-8:])
