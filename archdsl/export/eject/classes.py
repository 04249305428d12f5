"""A class of the ejected file: its name, signature and body, and what its body uses."""

from __future__ import annotations

import builtins
import keyword
from dataclasses import dataclass

from archdsl.export.eject.helpers import BACKEND_HELPERS, HELPERS
from archdsl.export.eject.template import Expr, Template, TLayer, TMerge, TRep, TRes, TSeq

# Names the generated file defines or imports besides the block classes.
RESERVED = frozenset(HELPERS) | frozenset(BACKEND_HELPERS) | {"OrderedDict", "F", "nn", "torch"}


@dataclass(frozen=True)
class Param:
    name: str
    annotation: str
    # A literal default sits in the signature; an expression over earlier
    # parameters is computed in __init__ from a default of None.
    default: Expr | None = None

    def computed(self) -> bool:
        return self.default is not None and not self.default.literal


@dataclass(frozen=True)
class ClassDef:
    name: str
    block: str  # the spec's block, or the model's name for the model class
    params: tuple[Param, ...]
    body: TSeq
    calls: int
    # What the class takes from the spec's calls rather than from its parameters.
    notes: tuple[str, ...] = ()


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_")) or "Block"


def class_name(block: str, taken: set[str]) -> str:
    """CamelCase, never a keyword, a builtin (`None`, `True`) or a name already taken."""
    name = camel(block)
    while name in taken or name in RESERVED or keyword.iskeyword(name) or hasattr(builtins, name):
        name += "Block"
    return name


def uses(template: Template) -> set[str]:
    """The parameters a template's expressions read."""
    used: set[str] = set()
    if isinstance(template, TLayer):
        for slot in template.slots:
            used |= slot.expr.uses
    elif isinstance(template, TSeq):
        for step in template.steps:
            used |= uses(step)
        for cond in template.conditions:
            used |= cond.uses if cond is not None else set()
    elif isinstance(template, TRes):
        used |= uses(template.body)
        if template.project is not None:
            used |= uses(template.project)
        if template.condition is not None:
            used |= template.condition.uses
    elif isinstance(template, TMerge):
        for branch in template.branches:
            used |= uses(branch)
    elif isinstance(template, TRep):
        used |= template.count.uses
        for part in (template.first, template.rest, *template.copies):
            if part is not None:
                used |= uses(part)
    else:
        for _, expr in template.args:
            used |= expr.uses
    return used
