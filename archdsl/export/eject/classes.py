"""Decide the classes: one per block where its calls unify, else one per kind of call.

Blocks are settled innermost first, so a block's calls of other blocks are
already class instances when its own calls are compared.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

from archdsl.export.eject.express import CannotUnify, Env
from archdsl.export.eject.helpers import HELPERS
from archdsl.export.eject.spec_info import SpecInfo
from archdsl.export.eject.template import (
    Expr,
    Template,
    TLayer,
    TMerge,
    TRep,
    TRes,
    TSeq,
)
from archdsl.export.eject.tree import Call, Instance, Merge, Rep, Res, Seq, Tree, Value
from archdsl.export.eject.unify import Unifier

# Names the generated file defines or imports besides the block classes.
RESERVED = frozenset(HELPERS) | {"OrderedDict", "F"}


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


def camel(name: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in name.split("_")) or "Block"


def assign_classes(root: Seq, info: SpecInfo) -> tuple[Seq, list[ClassDef]]:
    """The tree with every block call an Instance, and the classes, innermost first."""
    classes: list[ClassDef] = []
    taken = set(RESERVED)
    unifier = Unifier(info.conditions, info.arguments)
    while True:
        calls = list(_calls(root))
        if not calls:
            return root, classes
        by_block: dict[str, list[Call]] = defaultdict(list)
        for call in calls:
            by_block[call.block].append(call)
        ready = [
            block for block, group in by_block.items() if not any(_has_call(c.body) for c in group)
        ]
        instances: dict[int, Instance] = {}
        for block in ready:
            defaults = info.defaults.get(block, {})
            for cls, members in _classes_of(block, by_block[block], taken, defaults, unifier):
                classes.append(cls)
                taken.add(cls.name)
                names = [p.name for p in cls.params]
                for call in members:
                    env = dict(call.env)
                    args = tuple((p, env[p]) for p in names)
                    instances[call.uid] = Instance(cls.name, args, call.stateful, call.span)
        root = _substitute_seq(root, instances)


def _classes_of(
    block: str,
    calls: list[Call],
    taken: set[str],
    defaults: dict[str, Expr],
    unifier: Unifier,
) -> list[tuple[ClassDef, list[Call]]]:
    groups = _partition(calls, unifier)
    base = camel(block)
    while base in taken:
        base += "Block"
    out = []
    for i, (body, members) in enumerate(groups):
        name = base if i == 0 else f"{base}{i + 1}"
        while name in taken:
            name += "_"
        params = _params(body, [dict(c.env) for c in members], defaults)
        out.append((ClassDef(name, block, params, body, len(members)), members))
    return out


def _partition(calls: list[Call], unifier: Unifier) -> list[tuple[TSeq, list[Call]]]:
    """All calls in one class if they unify; else by structure; else by exact expansion."""
    try:
        return [(_unify_calls(calls, unifier), calls)]
    except CannotUnify:
        pass
    groups: list[tuple[TSeq, list[Call]]] = []
    for group in _grouped(calls, lambda c: _shape_key(c.body)):
        try:
            groups.append((_unify_calls(group, unifier), group))
        except CannotUnify:
            # Calls that expand alike always unify: every argument is the same.
            groups += [(_unify_calls(g, unifier), g) for g in _grouped(group, lambda c: c.body)]
    return groups


def _grouped(calls: list[Call], key: Callable[[Call], Any]) -> list[list[Call]]:
    groups: dict[Any, list[Call]] = {}
    for call in calls:
        groups.setdefault(key(call), []).append(call)
    return list(groups.values())


def _unify_calls(calls: list[Call], unifier: Unifier) -> TSeq:
    return unifier.seq([c.body for c in calls], [dict(c.env) for c in calls])


def _shape_key(tree: Tree) -> Any:
    """The structure of a tree, its argument values left out."""
    if isinstance(tree, Seq):
        return ("seq", tree.names, tree.wiring, tuple(_shape_key(s) for s in tree.steps))
    if isinstance(tree, Res):
        project = _shape_key(tree.project) if tree.project is not None else None
        return ("res", _shape_key(tree.body), project)
    if isinstance(tree, Merge):
        return ("merge", tree.kind, tuple(_shape_key(b) for b in tree.branches))
    if isinstance(tree, Rep):
        return ("rep", tuple(_shape_key(c) for c in tree.copies))
    if isinstance(tree, Instance):
        return ("instance", tree.cls)
    if isinstance(tree, Call):
        return ("call", tree.block)
    return ("layer", tree.ctor)


def _params(body: TSeq, envs: list[Env], defaults: dict[str, Expr]) -> tuple[Param, ...]:
    used = _uses(body)
    params: list[Param] = []
    for p in envs[0]:
        if p not in used:
            continue
        default = defaults.get(p)
        if default is not None and not default.uses <= {q.name for q in params}:
            default = None  # it needs a parameter the class does not take
        annotation = _annotation([e[p] for e in envs])
        if default is not None and not default.literal:
            annotation += " | None"
        params.append(Param(p, annotation, default))
    # Python takes no parameter without a default after one with.
    last = max((i for i, p in enumerate(params) if p.default is None), default=-1)
    return tuple(
        replace(p, default=None, annotation=p.annotation.removesuffix(" | None")) if i < last else p
        for i, p in enumerate(params)
    )


def _annotation(values: list[Value]) -> str:
    kinds: list[str] = []
    for v in values:
        kind = "tuple[int, int]" if isinstance(v, tuple) else type(v).__name__
        if kind not in kinds:
            kinds.append(kind)
    return " | ".join(kinds)


def _uses(template: Template) -> set[str]:
    used: set[str] = set()
    if isinstance(template, TLayer):
        for slot in template.slots:
            used |= slot.expr.uses
    elif isinstance(template, TSeq):
        for step in template.steps:
            used |= _uses(step)
        for cond in template.conditions:
            used |= cond.uses if cond is not None else set()
    elif isinstance(template, TRes):
        used |= _uses(template.body)
        if template.project is not None:
            used |= _uses(template.project)
        if template.condition is not None:
            used |= template.condition.uses
    elif isinstance(template, TMerge):
        for branch in template.branches:
            used |= _uses(branch)
    elif isinstance(template, TRep):
        used |= template.count.uses
        for part in (template.first, template.rest, *template.copies):
            if part is not None:
                used |= _uses(part)
    else:
        for _, expr in template.args:
            used |= expr.uses
    return used


def _calls(tree: Tree) -> Iterator[Call]:
    if isinstance(tree, Call):
        yield tree
        yield from _calls(tree.body)
    elif isinstance(tree, Seq):
        for step in tree.steps:
            yield from _calls(step)
    elif isinstance(tree, Res):
        yield from _calls(tree.body)
        if tree.project is not None:
            yield from _calls(tree.project)
    elif isinstance(tree, Merge):
        for branch in tree.branches:
            yield from _calls(branch)
    elif isinstance(tree, Rep):
        for copy in tree.copies:
            yield from _calls(copy)


def _has_call(tree: Tree) -> bool:
    return next(_calls(tree), None) is not None


def _substitute(tree: Tree, instances: dict[int, Instance]) -> Tree:
    if isinstance(tree, Call):
        if tree.uid in instances:
            return instances[tree.uid]
        return replace(tree, body=_substitute_seq(tree.body, instances))
    if isinstance(tree, Seq):
        return _substitute_seq(tree, instances)
    if isinstance(tree, Res):
        project = _substitute_seq(tree.project, instances) if tree.project is not None else None
        return replace(tree, body=_substitute_seq(tree.body, instances), project=project)
    if isinstance(tree, Merge):
        branches = tuple(_substitute_seq(b, instances) for b in tree.branches)
        return replace(tree, branches=branches)
    if isinstance(tree, Rep):
        return replace(tree, copies=tuple(_substitute(c, instances) for c in tree.copies))
    return tree


def _substitute_seq(seq: Seq, instances: dict[int, Instance]) -> Seq:
    return replace(seq, steps=tuple(_substitute(s, instances) for s in seq.steps))
