"""Templates to Python source: the classes' constructors and forward passes."""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any

from archdsl.export.eject.classes import ClassDef, Param
from archdsl.export.eject.layout import (
    INDENT,
    Atom,
    Bracket,
    Doc,
    Keyword,
    Starred,
    Ternary,
    flat,
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
from archdsl.export.eject.translate import negate
from archdsl.export.eject.tree import same

# Names a generated attribute must not take: nn.Module's own.
_MODULE_ATTRS = frozenset(
    {
        "forward",
        "train",
        "eval",
        "training",
        "parameters",
        "buffers",
        "children",
        "modules",
        "apply",
        "cuda",
        "cpu",
        "float",
        "double",
        "half",
        "type",
        "to",
        "state_dict",
    }
)


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
        items: list[Doc] = [Atom(s.expr.code) for s in template.slots if s.positional]
        items += [
            Keyword(s.name, Atom(s.expr.code))
            for s in template.slots
            if not s.positional and not s.omit
        ]
        if "." not in template.ctor:
            ctx.used.add(template.ctor)
        return Bracket(template.ctor, tuple(items))
    if isinstance(template, TSeq):
        return _sequential(template, ctx)
    if isinstance(template, TRes):
        return _residual(template, ctx)
    if isinstance(template, TMerge):
        helper = "Concat" if template.kind == "concat" else "Add"
        ctx.used.add(helper)
        return Bracket(helper, tuple(doc_for(b, ctx) for b in template.branches))
    if isinstance(template, TRep):
        return _repeat(template, ctx)
    return _instance(template, ctx.defaults.get(template.cls, {}))


def _sequential(seq: TSeq, ctx: Context) -> Doc:
    steps = tuple(doc_for(s, ctx) for s in seq.steps)
    if seq.optional():
        # Numbered, its steps counted as they come: an absent one takes no number.
        items = tuple(
            step if cond is None else Atom(f"*([{flat(step)}] if {cond.code} else [])")
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
            items.append(Starred(item, f"for _ in range({rep.count.code})"))
    return Bracket("nn.Sequential", tuple(items))


def _instance(instance: TInstance, defaults: dict[str, Expr]) -> Doc:
    items: list[Doc] = []
    known = {name: expr.value for name, expr in instance.args if expr.literal}
    for name, expr in instance.args:
        default = defaults.get(name)
        if default is not None and expr.literal and same(expr.value, _value(default, known)):
            continue
        if name.startswith("in_") and not items:
            items.append(Atom(expr.code))
        else:
            items.append(Keyword(name, Atom(expr.code)))
    return Bracket(instance.cls, tuple(items))


def class_source(
    cls: ClassDef, docstring: str, used: set[str], defaults: dict[str, dict[str, Expr]]
) -> list[str]:
    """The lines of one class: nn.Sequential where its steps are numbered, else attributes."""
    body = cls.body
    params = (Atom("self"), *(Atom(_parameter(p)) for p in cls.params))
    signature = lay(Bracket("def __init__", params), INDENT, suffix=" -> None:")
    inner = INDENT * 2
    ctx = Context(inner, defaults=defaults)
    attributes = _attribute_names(body)
    if attributes is None:
        base = "nn.Sequential"
        if body.optional():
            lines = _optional_steps(body, ctx)
        else:
            call = Bracket("super().__init__", tuple(_steps_of_sequential(body, ctx)))
            lines = lay(call, inner)
        init = [*signature, *_computed_defaults(cls, inner), *ctx.hoisted, *lines]
        forward: list[str] = []
    else:
        base = "nn.Module"
        assigns: list[str] = []
        for attr, step in zip(attributes, body.steps, strict=True):
            assigns += lay(doc_for(step, ctx), inner, f"self.{attr} = ")
        init = [
            *signature,
            f"{inner}super().__init__()",
            *_computed_defaults(cls, inner),
            *ctx.hoisted,
            *assigns,
        ]
        forward = ["", f"{INDENT}def forward(self, x: torch.Tensor) -> torch.Tensor:"]
        for attr in attributes[:-1]:
            forward.append(f"{inner}x = self.{attr}(x)")
        forward.append(
            f"{inner}return self.{attributes[-1]}(x)" if attributes else f"{inner}return x"
        )
        used.add("torch")
    used |= ctx.used
    return [
        f"class {cls.name}({base}):",
        f'{INDENT}"""{docstring}"""',
        "",
        *init,
        *forward,
    ]


def _optional_steps(body: TSeq, ctx: Context) -> list[str]:
    """Build the list of steps, the ones some calls leave out under their `if`."""
    inner = ctx.indent
    steps = [doc_for(s, ctx) for s in body.steps]
    conditions = list(body.conditions)
    lead = 0
    while conditions[lead] is None:
        lead += 1
    lines = lay(Bracket("", tuple(steps[:lead]), "[", "]"), inner, "layers: list[nn.Module] = ")
    # Runs of steps under one condition share an `if`; the run after it under the
    # opposite condition is its `else`.
    runs: list[tuple[Expr | None, list[Doc]]] = []
    for step, cond in zip(steps[lead:], conditions[lead:], strict=True):
        code = cond.code if cond is not None else None
        if runs and (runs[-1][0].code if runs[-1][0] is not None else None) == code:
            runs[-1][1].append(step)
        else:
            runs.append((cond, [step]))
    previous: Expr | None = None
    for cond, run in runs:
        appends = [Bracket("layers.append", (step,)) for step in run]
        if cond is None:
            lines += [line for a in appends for line in lay(a, inner)]
            previous = None
            continue
        if previous is not None and cond.code == negate(previous).code:
            lines.append(f"{inner}else:")
            previous = None
        else:
            lines.append(f"{inner}if {cond.code}:")
            previous = cond
        lines += [line for a in appends for line in lay(a, inner + INDENT)]
    return [*lines, f"{inner}super().__init__(*layers)"]


def _value(default: Expr, known: dict[str, Any]) -> Any:
    """A default's value in one call, or a marker that equals nothing where it is unknown."""
    if default.literal:
        return default.value
    if not default.uses <= known.keys():
        return _UNKNOWN
    return eval(default.code, {"__builtins__": {}}, dict(known))  # our own code only


_UNKNOWN = object()


def _parameter(param: Param) -> str:
    if param.default is None:
        return f"{param.name}: {param.annotation}"
    if param.computed():
        return f"{param.name}: {param.annotation} = None"
    return f"{param.name}: {param.annotation} = {param.default.code}"


def _computed_defaults(cls: ClassDef, indent: str) -> list[str]:
    """`if padding is None: padding = ...` for each default that depends on others."""
    lines = []
    for param in cls.params:
        if param.computed() and param.default is not None:
            lines.append(f"{indent}if {param.name} is None:")
            lines.append(f"{indent}{INDENT}{param.name} = {param.default.code}")
    return lines


def _steps_of_sequential(body: TSeq, ctx: Context) -> list[Doc]:
    if numbered(body.names):
        return [doc_for(s, ctx) for s in body.steps]
    seq = _sequential(body, ctx)
    assert isinstance(seq, Bracket)
    return list(seq.items)


def _attribute_names(body: TSeq) -> list[str] | None:
    """Attribute names for a class of named steps; None where nn.Sequential fits better.

    A numbered step keeps its number (and the class is an nn.Sequential) when it
    holds weights, since its number is in the state_dict's keys; a numbered step
    without any, such as a `flatten`, is named after what it is.
    """
    if numbered(body.names) or not body.names:
        return None
    labels = [n for n in body.names if not n.isdigit()]
    if any(n.isdigit() and stateful for n, stateful in zip(body.names, body.stateful, strict=True)):
        return None
    taken = set(labels)
    names = []
    for n, step in zip(body.names, body.steps, strict=True):
        if not n.isdigit():
            names.append(n)
            continue
        base = _describe(step)
        candidate, i = base, 2
        while candidate in taken or candidate in _MODULE_ATTRS or keyword.iskeyword(candidate):
            candidate, i = f"{base}{i}", i + 1
        taken.add(candidate)
        names.append(candidate)
    return names


def _describe(step: Template) -> str:
    if isinstance(step, TLayer):
        name = step.ctor.removeprefix("nn.")
    elif isinstance(step, TInstance):
        name = step.cls
    else:
        return "step"
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    return re.sub(r"_?[123]d$", "", snake)
