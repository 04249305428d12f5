"""Each class's source: its signature, its constructor, and a forward pass where its
steps are attributes rather than an nn.Sequential's numbered children.
"""

from __future__ import annotations

import keyword
import re
import textwrap

from archdsl.export.eject.classes import ClassDef, Param
from archdsl.export.eject.layout import INDENT, WIDTH, Atom, Bracket, Doc, lay
from archdsl.export.eject.render import Context, doc_for, numbered, sequential
from archdsl.export.eject.template import Expr, Template, TInstance, TLayer, TSeq, Wiring
from archdsl.export.eject.translate import negate
from archdsl.ir.reserved import reserved_label


def class_source(
    cls: ClassDef, docstring: str, used: set[str], defaults: dict[str, dict[str, Expr]]
) -> list[str]:
    """The lines of one class: nn.Sequential where its steps are numbered, else attributes."""
    body = cls.body
    params = (Atom("self"), *(Atom(_parameter(p)) for p in cls.params))
    signature = lay(Bracket("def __init__", params), INDENT, suffix=" -> None:")
    inner = INDENT * 2
    ctx = Context(inner, defaults=defaults)
    attributes = _attribute_names(body) if body.wiring is None else None
    if attributes is None:
        base = "nn.Sequential"
        if body.optional():
            lines = _optional_steps(body, ctx)
        else:
            call = Bracket("super().__init__", tuple(_steps_of_sequential(body, ctx)))
            lines = lay(call, inner)
        init = [*signature, *_computed_defaults(cls, inner), *ctx.hoisted, *lines]
        forward: list[str] = []
        if body.wiring is not None:
            forward = _wired_forward(body, body.wiring)
            used.add("torch")
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
        *_docstring(docstring),
        "",
        *init,
        *forward,
    ]


def _wired_forward(body: TSeq, wiring: Wiring) -> list[str]:
    """The forward pass of values that do not form a chain: one line per step, each
    reading and making locals named after the spec's values."""
    inner = INDENT * 2
    params = (Atom("self"), *(Atom(f"{name}: torch.Tensor") for name in wiring.inputs))
    many = len(wiring.outputs) > 1
    result = (
        f"tuple[{', '.join(['torch.Tensor'] * len(wiring.outputs))}]" if many else "torch.Tensor"
    )
    lines = ["", *lay(Bracket("def forward", params), INDENT, suffix=f" -> {result}:")]
    steps = list(zip(body.names, wiring.reads, wiring.makes, strict=True))
    for i, (name, reads, makes) in enumerate(steps):
        step = f"self.{name}" if not name.isdigit() and _attribute(name) else f"self[{i}]"
        call = Bracket(step, tuple(Atom(r) for r in reads))
        if i == len(steps) - 1 and makes == wiring.outputs and len(makes) == 1:
            return [*lines, *lay(call, inner, "return ")]  # the last step gives the output
        lines += lay(call, inner, f"{', '.join(makes)} = ")
    return [*lines, f"{inner}return {', '.join(wiring.outputs)}"]


def _docstring(text: str) -> list[str]:
    lines = text.split("\n")
    if len(lines) == 1 and len(INDENT) + len(text) + 6 <= WIDTH:
        return [f'{INDENT}"""{text}"""']
    if len(lines) == 1:
        wrapped = textwrap.wrap(text, WIDTH - len(INDENT))
        return [f'{INDENT}"""{wrapped[0]}', *(INDENT + w for w in wrapped[1:]), f'{INDENT}"""']
    wrapped = [lines[0]]
    for line in lines[1:]:
        bullet = line.startswith("- ")
        wrapped += textwrap.wrap(
            line, WIDTH - len(INDENT), subsequent_indent="  " if bullet else ""
        ) or [""]
    body = [f"{INDENT}{line}" if line else "" for line in wrapped[1:]]
    return [f'{INDENT}"""{wrapped[0]}', *body, f'{INDENT}"""']


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
    seq = sequential(body, ctx)
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
    if not all(_attribute(n) for n in labels):
        return None  # `self.class = ...` is no Python: the names stay strings
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
        while candidate in taken or not _attribute(candidate):
            candidate, i = f"{base}{i}", i + 1
        taken.add(candidate)
        names.append(candidate)
    return names


def _attribute(name: str) -> bool:
    """Whether `self.name = ...` sets a new submodule: Python allows it and torch has no such."""
    return name.isidentifier() and not keyword.iskeyword(name) and not reserved_label(name)


def _describe(step: Template) -> str:
    if isinstance(step, TLayer):
        name = step.ctor.removeprefix("nn.")
    elif isinstance(step, TInstance):
        name = step.cls
    else:
        return "step"
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    return re.sub(r"_?[123]d$", "", snake)
