"""Which definition each name of a document refers to, by the language's scoping rules.

The elaborator's rules, read from the AST alone (so they hold in a spec with
errors too): a block's parameters and `input x`, a model's named inputs,
`let`s, `repeat ... as` indices, `x = ...` and `a, b = ...` names, and labels
(where the name is still free) share one namespace per body; a name is visible
below the statement that gives it, in the same body and in the bodies nested
there, never outside a residual, branch, `{ }` group, repeat, `if` or block.
A block call's keyword argument (`skip=e1`) names the block's parameter.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from archdsl.diagnostics import Span
from archdsl.ops.registry import OPS
from archdsl.syntax import ast

Owner = ast.BlockDef | ast.ModelDef
Scope = dict[str, "Binding"]


@dataclass(eq=False)
class Binding:
    """One definition of a name."""

    name: str
    kind: str  # value, label, input, param, let, index
    span: Span  # the name where it is given
    owner: Owner
    region: Span  # where it can be read: after its statement, to the end of its body
    stmt: Any  # the Assign, Chain, NamedInput, Param, Let or Repeat that gives it
    index: int = 0  # which of an assignment's names


@dataclass(frozen=True, eq=False)
class Occurrence:
    """A name as written: where it is given (`def`), read (`use`), or a block call's
    keyword naming the block's parameter (`keyword`). `binding` is None for a word
    that names nothing in scope (`same`, or a value used before it is made)."""

    name: str
    span: Span
    binding: Binding | None
    role: str
    owner: Owner


@dataclass
class Names:
    """Every definition and occurrence of a name in some files, and every block call."""

    bindings: list[Binding] = field(default_factory=list)
    occurrences: list[Occurrence] = field(default_factory=list)
    calls: list[ast.Call] = field(default_factory=list)  # calls of blocks

    def at(self, file: str, line: int, col: int) -> Occurrence | None:
        for occ in self.occurrences:
            if occ.span.file == file and touches(occ.span, line, col):
                return occ
        return None

    def of(self, binding: Binding) -> list[Occurrence]:
        return [o for o in self.occurrences if o.binding is binding]

    def visible(self, file: str, line: int, col: int) -> list[Binding]:
        """The names that can be read at a position, the nearest definition of each."""
        found: dict[str, Binding] = {}
        for b in self.bindings:
            if b.region.file == file and inside(b.region, line, col):
                found[b.name] = b  # later and deeper definitions come later
        return list(found.values())


def touches(span: Span, line: int, col: int) -> bool:
    """Whether a one-line name's span holds the position or ends right at it."""
    return span.line == line and span.col <= col <= span.end_col


def inside(span: Span, line: int, col: int) -> bool:
    return (span.line, span.col) <= (line, col) <= (span.end_line, span.end_col)


def after(stmt_span: Span, body: Span) -> Span:
    """From the end of a statement to the end of its body."""
    return Span(stmt_span.file, stmt_span.end_line, stmt_span.end_col, body.end_line, body.end_col)


def walk_ast(node: Any) -> Iterator[Any]:
    """Every AST node below `node` (itself included), whatever its kind."""
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple) and hasattr(item, "_fields"):
            yield item
            stack.extend(v for v in reversed(item) if isinstance(v, tuple | list))
        elif isinstance(item, tuple | list):
            stack.extend(reversed(item))


def bind_files(files: Iterable[ast.SourceFile], text_of: Callable[[str], str]) -> Names:
    """The names of every model and block of `files` (`text_of`: a file's text by its
    name, to find a `repeat ... as` index, which the AST gives no span of its own)."""
    files = list(files)
    blocks: dict[str, ast.BlockDef] = {}
    for src in files:
        for b in src.blocks:
            blocks.setdefault(b.name, b)  # a second definition is an error of its own
    binder = _Binder(blocks, text_of)
    own = {id(b): binder.bind_params(b) for src in files for b in src.blocks}
    binder.params = {name: own[id(b)] for name, b in blocks.items()}
    for src in files:
        for block in src.blocks:
            binder.block(block, own[id(block)])
        for model in src.models:
            binder.model(model)
    return binder.names


class _Binder:
    def __init__(self, blocks: dict[str, ast.BlockDef], text_of: Callable[[str], str]) -> None:
        self.blocks = blocks
        self.text_of = text_of
        self.names = Names()
        self.params: dict[str, Scope] = {}
        self.owner: Owner | None = None

    # ---- definitions ----------------------------------------------------------------
    def give(
        self, scope: Scope, name: str, kind: str, span: Span, region: Span, stmt: Any, i: int = 0
    ) -> None:
        assert self.owner is not None
        binding = Binding(name, kind, span, self.owner, region, stmt, i)
        scope[name] = binding
        self.names.bindings.append(binding)
        self.names.occurrences.append(Occurrence(name, span, binding, "def", self.owner))

    def read(self, scope: Scope, name: str, span: Span) -> None:
        assert self.owner is not None
        self.names.occurrences.append(Occurrence(name, span, scope.get(name), "use", self.owner))

    def bind_params(self, block: ast.BlockDef) -> Scope:
        self.owner = block
        scope: Scope = {}
        for param in block.params:
            if param.default is not None:
                self.expr(param.default, scope)
            name_span = Span(
                param.span.file,
                param.span.line,
                param.span.col,
                param.span.line,
                param.span.col + len(param.name),
            )
            self.give(scope, param.name, "param", name_span, block.body.span, param)
        return scope

    def block(self, block: ast.BlockDef, params: Scope) -> None:
        self.owner = block
        self.top(block.body, dict(params))

    def model(self, model: ast.ModelDef) -> None:
        self.owner = model
        self.top(model.body, {})

    def top(self, body: ast.Body, scope: Scope) -> None:
        """A model's or block's body: inputs first, `output` lines last, as elaborated."""
        rest = []
        for stmt in body.stmts:
            if isinstance(stmt, ast.NamedInput):
                if stmt.shape is not None:
                    self.expr(stmt.shape, {})
                self.give(scope, stmt.name, "input", stmt.name_span, body.span, stmt)
            elif not isinstance(stmt, ast.OutputStmt):
                rest.append(stmt)
        self.body(tuple(rest), scope, body.span)
        for stmt in body.stmts:
            if isinstance(stmt, ast.OutputStmt):
                self.output(stmt, scope)

    def output(self, stmt: ast.OutputStmt, scope: Scope) -> None:
        for name, span in zip(stmt.names, stmt.name_spans, strict=True):
            self.read(scope, name, span)

    # ---- statements -------------------------------------------------------------------
    def body(self, stmts: tuple[ast.Stmt, ...], scope: Scope, span: Span) -> None:
        for stmt in stmts:
            if isinstance(stmt, ast.Chain):
                self.chain(stmt, scope)
                label, label_span = stmt.label, stmt.label_span
                if label is not None and label_span is not None and self.free(label, scope):
                    self.give(scope, label, "label", label_span, after(stmt.span, span), stmt)
            elif isinstance(stmt, ast.Assign):
                self.chain(stmt.chain, scope)
                region = after(stmt.span, span)
                for i, (name, name_span) in enumerate(
                    zip(stmt.names, stmt.name_spans, strict=True)
                ):
                    if name != "_":
                        self.give(scope, name, "value", name_span, region, stmt, i)
            elif isinstance(stmt, ast.Let):
                self.expr(stmt.value, scope)
                self.give(scope, stmt.name, "let", stmt.name_span, after(stmt.span, span), stmt)
            elif isinstance(stmt, ast.OutputStmt):
                self.output(stmt, scope)  # misplaced; still a use
            elif isinstance(stmt, ast.NamedInput):
                self.give(scope, stmt.name, "input", stmt.name_span, after(stmt.span, span), stmt)
            elif isinstance(stmt, ast.InputStmt):
                self.expr(stmt.shape, scope)
            else:
                for item in stmt.items:
                    self.expr(item.value, scope)

    def free(self, name: str, scope: Scope) -> bool:
        """Whether a label may name its step's value (as the elaborator decides)."""
        return name not in scope and name not in OPS and name not in self.blocks

    def chain(self, chain: ast.Chain, scope: Scope) -> None:
        for step in chain.steps:
            self.step(step, scope)

    def step(self, step: ast.Step, scope: Scope) -> None:
        if isinstance(step, ast.Call):
            self.call(step, scope)
        elif isinstance(step, ast.Residual):
            self.body(step.body.stmts, dict(scope), step.body.span)
            if step.project is not None:
                self.body(step.project.stmts, dict(scope), step.project.span)
        elif isinstance(step, ast.Parallel):
            for branch in step.branches:
                self.body(branch.stmts, dict(scope), branch.span)
        elif isinstance(step, ast.Repeat):
            self.expr(step.times, scope)
            inner = dict(scope)
            if step.var is not None:
                var_span = self.repeat_var(step)
                self.give(inner, step.var, "index", var_span, step.body.span, step)
            self.step(step.body, inner)
        elif isinstance(step, ast.If):
            self.expr(step.cond, scope)
            self.body(step.then.stmts, dict(scope), step.then.span)
            if isinstance(step.orelse, ast.If):
                self.step(step.orelse, scope)
            elif step.orelse is not None:
                self.body(step.orelse.stmts, dict(scope), step.orelse.span)
        else:
            self.body(step.body.stmts, dict(scope), step.body.span)

    def call(self, call: ast.Call, scope: Scope) -> None:
        block = self.blocks.get(call.name)
        if block is not None:
            self.names.calls.append(call)
        elif call.name not in OPS:
            self.read(scope, call.name, call.name_span)  # a value's name as a step
        for arg in call.args:
            if block is not None and arg.name is not None and arg.name_span is not None:
                param = self.params.get(block.name, {}).get(arg.name)
                assert self.owner is not None
                self.names.occurrences.append(
                    Occurrence(arg.name, arg.name_span, param, "keyword", self.owner)
                )
            self.expr(arg.value, scope)

    def repeat_var(self, step: ast.Repeat) -> Span:
        """The span of `i` in `repeat(n) as i`, found in the text after the count."""
        lines = self.text_of(step.span.file).split("\n")
        start = step.times.span
        where = re.compile(rf"\)\s*as\s+({re.escape(step.var or '')})\b")
        if start.end_line <= len(lines):
            line = lines[start.end_line - 1]
            match = where.search(line, start.end_col - 1)
            if match is not None:
                col = match.start(1) + 1
                return Span(start.file, start.end_line, col, start.end_line, match.end(1) + 1)
        return step.keyword_span

    # ---- expressions ------------------------------------------------------------------
    def expr(self, expr: ast.Expr, scope: Scope) -> None:
        for node in walk_ast(expr):
            if isinstance(node, ast.Name):
                self.read(scope, node.id, node.span)
            elif isinstance(node, ast.ValueAttr):
                self.read(scope, node.name, node.name_span)
