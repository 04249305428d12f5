"""Templates to Python expressions: each step as the constructor call that builds it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from archdsl.export.eject.layout import (
    INDENT,
    Atom,
    Bracket,
    Doc,
    Keyword,
    Optional,
    Starred,
    Ternary,
    lay,
)
from archdsl.export.eject.template import (
    Expr,
    Template,
    TInstance,
    TLayer,
    TMerge,
    TRep,
    TRes,
    TSeq,
)
from archdsl.export.eject.tree import same


# Names a generated attribute must not take: nn.Module's own.
@dataclass
class Context:
    """What rendering one constructor collects: hoisted projections and what it used."""

    indent: str
    hoisted: list[str] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    loop: bool = False
    # Each class's parameter defaults, so a call can leave out an argument equal to one.
    defaults: dict[str, dict[str, Expr]] = field(default_factory=dict)


def numbered(names: tuple[str, ...]) -> bool:
    return names == tuple(str(i) for i in range(len(names)))


def doc_for(template: Template, ctx: Context) -> Doc:
    if isinstance(template, TLayer):
        items: list[Doc] = [_argument(s.expr) for s in template.slots if s.positional]
        items += [
            Keyword(s.name, _argument(s.expr))
            for s in template.slots
            if not s.positional and not s.omit
        ]
        if "." not in template.ctor:
            ctx.used.add(template.ctor)
        return Bracket(template.ctor, tuple(items))
    if isinstance(template, TSeq):
        return sequential(template, ctx)
    if isinstance(template, TRes):
        return _residual(template, ctx)
    if isinstance(template, TMerge):
        helper = template.kind.title()  # the helper class: Concat, Add or Mul
        ctx.used.add(helper)
        return Bracket(helper, tuple(doc_for(b, ctx) for b in template.branches))
    if isinstance(template, TRep):
        return _repeat(template, ctx)
    return _instance(template, ctx.defaults.get(template.cls, {}))


def _argument(expr: Expr) -> Doc:
    """An argument; a tuple or list of expressions may break over lines, item by item."""
    if expr.items is None or expr.literal or any(i is None for i in expr.items):
        return Atom(expr.code)
    brackets = ("[", "]") if expr.code.startswith("[") else ("(", ")")
    return Bracket("", tuple(_argument(i) for i in expr.items if i is not None), *brackets)


def sequential(seq: TSeq, ctx: Context) -> Doc:
    steps = tuple(doc_for(s, ctx) for s in seq.steps)
    if seq.optional():
        # Numbered, its steps counted as they come: an absent one takes no number.
        items = tuple(
            step if cond is None else Optional(step, cond.code)
            for step, cond in zip(steps, seq.conditions, strict=True)
        )
        return Bracket("nn.Sequential", items)
    if numbered(seq.names):
        return Bracket("nn.Sequential", steps)
    ctx.used.add("OrderedDict")
    pairs = tuple(
        Bracket("", (Atom(f'"{n}"'), step)) for n, step in zip(seq.names, steps, strict=True)
    )
    return Bracket("nn.Sequential", (Bracket("OrderedDict", (Bracket("", pairs, "[", "]"),)),))


def _residual(res: TRes, ctx: Context) -> Doc:
    ctx.used.add("Residual")
    body = doc_for(res.body, ctx)
    if res.project is None:
        return Bracket("Residual", (body,))
    project = doc_for(res.project, ctx)
    if res.condition is None:
        return Bracket("Residual", (body, project))
    if ctx.loop:  # inside a comprehension each copy needs its own projection
        return Bracket("Residual", (body, Ternary(project, res.condition.code)))
    local = "project" if not ctx.hoisted else f"project{len(ctx.hoisted) + 1}"
    ctx.hoisted += [
        f"{ctx.indent}{local}: nn.Module | None = None",
        f"{ctx.indent}if {res.condition.code}:",
        *lay(project, ctx.indent + INDENT, f"{local} = "),
    ]
    return Bracket("Residual", (body, Atom(local)))


def _repeat(rep: TRep, ctx: Context) -> Doc:
    if rep.copies:
        return Bracket("nn.Sequential", tuple(doc_for(c, ctx) for c in rep.copies))
    items: list[Doc] = []
    if rep.first is not None:
        items.append(doc_for(rep.first, ctx))
    if rep.rest is not None and not (rep.count.literal and rep.count.value == 0):
        if rep.count.literal and rep.count.value == 1:
            items.append(doc_for(rep.rest, ctx))
        else:
            was, ctx.loop = ctx.loop, True
            item = doc_for(rep.rest, ctx)
            ctx.loop = was
            items.append(Starred(item, f"for {rep.var} in range({rep.count.code})"))
    return Bracket("nn.Sequential", tuple(items))


def _instance(instance: TInstance, defaults: dict[str, Expr]) -> Doc:
    items: list[Doc] = []
    known = {name: expr.value for name, expr in instance.args if expr.literal}
    for name, expr in instance.args:
        default = defaults.get(name)
        if default is not None and name in instance.implicit:
            continue  # the spec leaves it to the default, and so does the call
        if default is not None and expr.literal and same(expr.value, _value(default, known)):
            continue
        if name.startswith("in_") and not items:
            items.append(Atom(expr.code))
        else:
            items.append(Keyword(name, Atom(expr.code)))
    return Bracket(instance.cls, tuple(items))


def _value(default: Expr, known: dict[str, Any]) -> Any:
    """A default's value in one call, or a marker that equals nothing where it is unknown."""
    if default.literal:
        return default.value
    if not default.uses <= known.keys():
        return _UNKNOWN
    return eval(default.code, {"__builtins__": {}}, dict(known))  # our own code only


_UNKNOWN = object()
