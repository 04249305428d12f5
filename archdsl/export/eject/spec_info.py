"""What the expanded IR forgets and a reader wants back, read from the spec's source:
block parameter defaults, the condition of each `if` step, and the expression each
argument was written as (`width * 4`, a `let` spelt out), by the span of its step.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from archdsl.diagnostics import Span
from archdsl.export.eject.template import Expr
from archdsl.export.eject.translate import Translator, conjoin, negate, python_name
from archdsl.ops import OPS
from archdsl.syntax import ast
from archdsl.syntax.parser import parse

# The argument name under which a repeat's count is kept.
COUNT = "count"


@dataclass
class SpecInfo:
    # Each block's parameter defaults: a literal, or an expression over the
    # parameters before it (`padding="same" if stride == 1 else "valid"`).
    defaults: dict[str, dict[str, Expr]] = field(default_factory=dict)
    # The condition under which a step inside an `if` is taken, by the step's span.
    conditions: dict[Span, Expr] = field(default_factory=dict)
    # The arguments of each op call, block call and repeat, by name, by its span.
    arguments: dict[Span, dict[str, Expr]] = field(default_factory=dict)


def spec_info(sources: dict[str, str]) -> SpecInfo:
    files = [parse(text, name) for name, text in sources.items()]
    params = {b.name: tuple(p.name for p in b.params) for f in files for b in f.blocks}
    info = SpecInfo()
    walker = _Walker(info, params)
    for f in files:
        for block in f.blocks:
            names: set[str] = set()
            defaults: dict[str, Expr] = {}
            for param in block.params:
                if param.default is not None:
                    default = Translator(frozenset(names))(param.default)
                    if default is not None:
                        defaults[python_name(param.name)] = default
                names.add(param.name)
            info.defaults[block.name] = defaults
            named = [s.name for s in block.body.stmts if isinstance(s, ast.NamedInput)]
            block_input = named[0] if named else None
            walker.body(block.body, None, Translator(frozenset(names), block_input=block_input))
        for model in f.models:
            walker.body(model.body, None, Translator(frozenset()))
    return info


class _Walker:
    def __init__(self, info: SpecInfo, params: dict[str, tuple[str, ...]]) -> None:
        self.info = info
        self.params = params

    def body(self, body: ast.Body, cond: Expr | None, translate: Translator) -> None:
        # A copy: a `let` holds for the steps after it in this body only.
        translate = Translator(translate.names, translate.lets, translate.block_input)
        for stmt in body.stmts:
            if isinstance(stmt, ast.Let):
                value = translate(stmt.value)
                if value is not None:
                    translate.lets[stmt.name] = value
            elif isinstance(stmt, ast.Chain | ast.Assign):
                chain = stmt.chain if isinstance(stmt, ast.Assign) else stmt
                if cond is not None:
                    self.info.conditions[chain.span] = cond
                for step in chain.steps:
                    self.step(step, cond, translate)

    def step(self, step: ast.Step, cond: Expr | None, translate: Translator) -> None:
        if cond is not None:
            self.info.conditions[step.span] = cond
        if isinstance(step, ast.Call):
            self.call(step, translate)
        elif isinstance(step, ast.If):
            test = translate(step.cond)
            if test is None:
                return  # a condition Python cannot say; the steps below go unexplained
            self.body(step.then, conjoin(cond, test), translate)
            if isinstance(step.orelse, ast.Body):
                self.body(step.orelse, conjoin(cond, negate(test)), translate)
            elif isinstance(step.orelse, ast.If):
                self.step(step.orelse, conjoin(cond, negate(test)), translate)
        elif isinstance(step, ast.Group):
            self.body(step.body, cond, translate)
        elif isinstance(step, ast.Residual):
            self.body(step.body, cond, translate)
            if step.project is not None:
                self.body(step.project, cond, translate)
        elif isinstance(step, ast.Parallel):
            for branch in step.branches:
                self.body(ast.Body(branch.stmts, branch.span), cond, translate)
        elif isinstance(step, ast.Repeat):
            count = translate(step.times)
            if count is not None:
                self.info.arguments[step.span] = {COUNT: count}
            self.step(step.body, cond, translate)

    def call(self, call: ast.Call, translate: Translator) -> None:
        if call.name in OPS:
            names: tuple[str, ...] = OPS[call.name].arg_names()
        elif call.name in self.params:
            names = tuple(python_name(p) for p in self.params[call.name])
        else:
            return
        found: dict[str, Expr] = {}
        for i, arg in enumerate(call.args):
            key = python_name(arg.name) if arg.name is not None else None
            if key is None and i < len(names):
                key = names[i]
            value = translate(arg.value)
            if key is not None and value is not None:
                found[key] = value
        self.info.arguments[call.span] = found
