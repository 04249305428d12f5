"""Many calls of one block to one class body: unify their trees argument by argument.

Where the calls agree in structure, each argument becomes an expression over the
class's parameters (see express.py). A step that only some calls take (an `if`
in the spec) keeps the spec's condition; a residual whose projection only some
calls use gets the condition that tells them apart, written the way torchvision
writes it (`stride != 1 or in_channels != width * 4`). Anything else one class
cannot express raises CannotUnify, and the caller splits the calls into classes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from archdsl.diagnostics import Span
from archdsl.export.eject.express import CannotUnify, Env, express, holds
from archdsl.export.eject.template import (
    COMPARE,
    OR,
    Expr,
    Template,
    TInstance,
    TLayer,
    TMerge,
    TRep,
    TRes,
    TSeq,
    TSlot,
    literal,
    name,
)
from archdsl.export.eject.translate import negate
from archdsl.export.eject.tree import Instance, Layer, Merge, Rep, Res, Seq, Tree, same


class Unifier:
    def __init__(self, conditions: dict[Any, Expr], arguments: dict[Any, dict[str, Expr]]) -> None:
        self.conditions = conditions
        self.arguments = arguments

    def _spec(self, span: Any, arg: str | None) -> Expr | None:
        """The expression the spec wrote for an argument of the step at `span`."""
        return self.arguments.get(span, {}).get(arg) if arg is not None else None

    def unify(self, trees: Sequence[Tree], envs: Sequence[Env]) -> Template:
        first = trees[0]
        if any(type(t) is not type(first) for t in trees):
            raise CannotUnify("different kinds of step")
        if isinstance(first, Layer):
            return self._layer([t for t in trees if isinstance(t, Layer)], envs)
        if isinstance(first, Seq):
            return self.seq([t for t in trees if isinstance(t, Seq)], envs)
        if isinstance(first, Res):
            return self._residual([t for t in trees if isinstance(t, Res)], envs)
        if isinstance(first, Merge):
            return self._merge([t for t in trees if isinstance(t, Merge)], envs)
        if isinstance(first, Rep):
            return self._repeat([t for t in trees if isinstance(t, Rep)], envs)
        if isinstance(first, Instance):
            return self._instance([t for t in trees if isinstance(t, Instance)], envs)
        raise CannotUnify(f"unexpected {type(first).__name__}")

    def seq(self, seqs: Sequence[Seq], envs: Sequence[Env]) -> TSeq:
        first = seqs[0]
        if any(s.wiring != first.wiring for s in seqs):
            raise CannotUnify("values flow differently")
        if all(s.names == first.names and s.keys == first.keys for s in seqs):
            steps = tuple(
                self.unify([s.steps[i] for s in seqs], envs) for i in range(len(first.steps))
            )
            stateful = tuple(any(s.steps[i].stateful for s in seqs) for i in first_range(first))
            return TSeq(first.names, steps, stateful, wiring=first.wiring)
        if first.wiring is not None:
            raise CannotUnify("steps differ in a body of named values")
        return self._aligned(seqs, envs)

    def _aligned(self, seqs: Sequence[Seq], envs: Sequence[Env]) -> TSeq:
        """Steps that some calls take and others do not, matched by where the spec has them."""
        if not all(_numbered(s) and len(set(s.keys)) == len(s.keys) for s in seqs):
            raise CannotUnify("labelled steps differ")
        order = _merge_orders([list(s.keys) for s in seqs])
        steps: list[Template] = []
        stateful: list[bool] = []
        conditions: list[Expr | None] = []
        for key in order:
            taken = [key in s.keys for s in seqs]
            members = [
                (s.steps[s.keys.index(key)], e)
                for s, e in zip(seqs, envs, strict=True)
                if key in s.keys
            ]
            steps.append(self.unify([t for t, _ in members], [e for _, e in members]))
            stateful.append(any(t.stateful for t, _ in members))
            conditions.append(None if all(taken) else self._condition(key, envs, taken))
        names = tuple(str(i) for i in range(len(order)))
        return TSeq(names, tuple(steps), tuple(stateful), tuple(conditions))

    def _condition(self, key: Any, envs: Sequence[Env], taken: list[bool]) -> Expr:
        spec = self.conditions.get(key)
        if spec is not None and holds(spec, envs, taken):
            return spec
        for candidate in _flags(envs):
            if holds(candidate, envs, taken):
                return candidate
        raise CannotUnify("no condition tells which calls take a step")

    def _residual(self, res: list[Res], envs: Sequence[Env]) -> TRes:
        body = self.seq([r.body for r in res], envs)
        with_project = [r.project is not None for r in res]
        if not any(with_project):
            return TRes(body, None, None)
        project = self.seq(
            [r.project for r in res if r.project is not None],
            [e for e, w in zip(envs, with_project, strict=True) if w],
        )
        if all(with_project):
            return TRes(body, project, None)
        return TRes(body, project, _shape_change(res, envs, body, with_project))

    def _merge(self, merges: list[Merge], envs: Sequence[Env]) -> TMerge:
        first = merges[0]
        if any(m.kind != first.kind or len(m.branches) != len(first.branches) for m in merges):
            raise CannotUnify("different merges")
        branches = tuple(
            self.seq([m.branches[i] for m in merges], envs) for i in range(len(first.branches))
        )
        return TMerge(first.kind, branches)

    def _repeat(self, reps: list[Rep], envs: Sequence[Env]) -> TRep:
        """Copies all alike (`[X for _ in range(n)]`), or a first copy then alike ones."""
        if all(_alike(r.copies) for r in reps):
            full = [(r, e) for r, e in zip(reps, envs, strict=True) if r.copies]
            rest = (
                self.unify([r.copies[0] for r, _ in full], [e for _, e in full]) if full else None
            )
            count = express([len(r.copies) for r in reps], envs, "count")
            return TRep(None, rest, count)
        if all(r.copies and _alike(r.copies[1:]) for r in reps):
            first = self.unify([r.copies[0] for r in reps], envs)
            more = [(r, e) for r, e in zip(reps, envs, strict=True) if len(r.copies) > 1]
            rest = (
                self.unify([r.copies[1] for r, _ in more], [e for _, e in more]) if more else None
            )
            count = express([len(r.copies) - 1 for r in reps], envs, "count")
            return TRep(first, rest, count)
        n = len(reps[0].copies)
        if any(len(r.copies) != n for r in reps):
            raise CannotUnify("copies differ")
        copies = tuple(self.unify([r.copies[i] for r in reps], envs) for i in range(n))
        return TRep(None, None, literal(n), copies)

    def _layer(self, layers: list[Layer], envs: Sequence[Env]) -> TLayer:
        first = layers[0]
        if any(layer.ctor != first.ctor for layer in layers):
            raise CannotUnify("different layers")
        slots = []
        for i, slot in enumerate(first.slots):
            values = [layer.slots[i].value for layer in layers]
            expr = express(values, envs, slot.name, self._spec(first.span, slot.arg))
            omit = slot.has_default and expr.literal and same(expr.value, slot.default)
            slots.append(TSlot(slot.name, expr, slot.positional, omit))
        return TLayer(first.ctor, tuple(slots))

    def _instance(self, instances: list[Instance], envs: Sequence[Env]) -> TInstance:
        first = instances[0]
        if any(i.cls != first.cls for i in instances):
            raise CannotUnify("different classes")
        args = []
        for arg, _ in first.args:
            values = [dict(i.args)[arg] for i in instances]
            args.append((arg, express(values, envs, arg, self._spec(first.span, arg))))
        return TInstance(first.cls, tuple(args))


def first_range(seq: Seq) -> range:
    return range(len(seq.steps))


def _numbered(seq: Seq) -> bool:
    return seq.names == tuple(str(i) for i in range(len(seq.names)))


def _merge_orders(orders: list[list[Any]]) -> list[Any]:
    """One order of all keys that keeps each list's order; CannotUnify where none does.

    Sibling steps run in the order the spec writes them, so keys that are spans
    sort by where they start (an `if`'s steps before its `else`'s).
    """
    keys = {key for order in orders for key in order}
    if all(isinstance(key, Span) for key in keys):
        merged = sorted(keys, key=lambda span: (span.file, span.line, span.col))
        if all(order == [k for k in merged if k in order] for order in orders):
            return merged
        raise CannotUnify("steps come in different orders")
    merged = []
    for order in orders:
        at = 0
        for key in order:
            if key in merged:
                index = merged.index(key)
                if index < at:
                    raise CannotUnify("steps come in different orders")
                at = index + 1
            else:
                merged.insert(at, key)
                at += 1
    return merged


def _flags(envs: Sequence[Env]) -> list[Expr]:
    """Plain conditions to try where the spec's own cannot be read: a flag or its negation."""
    flags = [p for p in envs[0] if all(isinstance(e[p], bool) for e in envs)]
    return [c for p in flags for c in (name(p), negate(name(p)))]


def _shape_change(
    res: list[Res], envs: Sequence[Env], body: TSeq, with_project: list[bool]
) -> Expr:
    """The condition under which the body changes the shape: a stride, or new channels."""
    atoms: list[Expr] = []
    for stride in _strides(body):
        atoms.append(Expr(f"{stride.wrap(COMPARE + 1)} != 1", COMPARE, stride.uses))
    try:
        before = express([r.in_channels for r in res], envs, "in_channels")
        after = express([r.out_channels for r in res], envs, "out_channels")
        if before.code != after.code:
            code = f"{before.wrap(COMPARE + 1)} != {after.wrap(COMPARE + 1)}"
            atoms.append(Expr(code, COMPARE, before.uses | after.uses))
    except CannotUnify:
        pass
    # All the ways the shape can change, if that fits, as torchvision writes it.
    uses = frozenset().union(*(a.uses for a in atoms))
    everything = Expr(" or ".join(a.code for a in atoms), OR, uses)
    candidates = [everything, *atoms] + [
        Expr(f"{a.code} or {b.code}", OR, a.uses | b.uses)
        for i, a in enumerate(atoms)
        for b in atoms[i + 1 :]
    ]
    for condition in candidates:
        if holds(condition, envs, with_project):
            return condition
    raise CannotUnify("no condition tells when the projection is used")


def _strides(template: Template) -> list[Expr]:
    found: list[Expr] = []
    if isinstance(template, TLayer):
        found += [s.expr for s in template.slots if s.name == "stride" and not s.expr.literal]
    elif isinstance(template, TSeq):
        for step in template.steps:
            found += _strides(step)
    elif isinstance(template, TInstance):
        found += [e for n, e in template.args if n == "stride" and not e.literal]
    unique: dict[str, Expr] = {e.code: e for e in found}
    return list(unique.values())


def _alike(copies: Sequence[Tree]) -> bool:
    return all(c == copies[0] for c in copies)
