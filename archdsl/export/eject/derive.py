"""Each block's class, derived from the block's source: one class per block.

The block's body is walked once, symbolically: its parameters are names, the
width flowing into each step is an expression over them (`in_channels`, then
`width`, then `width * 4`), and each argument is the expression the spec wrote
with its names bound (`let`s and `in.channels` spelt out). An `if` becomes a
Python `if` on the spec's condition, a residual's projection the condition
under which the body changes the shape, a `repeat` a loop of its count. So a
class is right for any arguments, not only for those the spec calls it with.

What Python cannot compute from the parameters alone (a width after `flatten`
of an input whose height the class does not know, a width that grows with
every copy of a repeat, an expression with no Python equivalent) is the value
every call in the spec has, and the class's docstring says so; where the calls
disagree there is no such value, and eject refuses the block with a message.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from archdsl.diagnostics import Span
from archdsl.export.eject.classes import ClassDef, Param, class_name, uses
from archdsl.export.eject.op_layer import derivable, is_false, op_layer
from archdsl.export.eject.symbolic import any_of, choose, combine, const, join, simplify
from archdsl.export.eject.template import Expr, Template, TInstance, TMerge, TRep, TRes, TSeq
from archdsl.export.eject.translate import Translator, conjoin, negate, python_name
from archdsl.export.eject.tree import canonical
from archdsl.ir import BlockNode, Model, Node, OpNode, RepeatNode, ResidualNode
from archdsl.ir.inplace import out_of_place
from archdsl.ops import OPS
from archdsl.syntax import ast


class EjectError(Exception):
    """A block one class cannot express, with why."""


@dataclass(frozen=True)
class Flow:
    """What flows into a step: its width (channels or features), rank, height and width."""

    width: Expr | None
    rank: int
    hw: tuple[Expr, Expr] | None = None

    def inputs(self) -> dict[str, Expr | None]:
        height, wide = self.hw if self.hw is not None else (None, None)
        key = "channels" if self.rank > 1 else "features"
        return {key: self.width, "height": height, "width": wide}


@dataclass(frozen=True)
class Entry:
    """One step of a body: its label (None: numbered), template and condition."""

    label: str | None
    template: Template
    stateful: bool
    condition: Expr | None = None


@dataclass
class Walked:
    entries: list[Entry]
    flow: Flow
    resizes: Expr | None  # whether the steps change the height or width of some input


@dataclass(frozen=True)
class Summary:
    """What a caller needs of a block: its class, parameters, output width and resizing."""

    cls: ClassDef
    input: str  # in_channels or in_features
    params: tuple[str, ...]
    defaults: dict[str, Expr]
    width: Expr | None
    resizes: Expr | None
    rank: int
    stateful: bool


@dataclass
class Observed:
    """The IR's nodes by the span of the spec text that made them: the calls' values."""

    nodes: dict[Span, list[Node]] = field(default_factory=lambda: defaultdict(list))
    out_of_place: frozenset[str] = frozenset()  # paths of in-place ops whose input is shared

    @staticmethod
    def of(model: Model) -> Observed:
        seen = Observed(out_of_place=out_of_place(model))
        for node in model.root.walk():
            seen.nodes[node.span].append(node)
        return seen

    def shared(self, span: Span) -> bool:
        """Whether any op the text at `span` made must not overwrite its input: one
        class serves every instance, so one shared input rules in-place out for all."""
        return any(n.path in self.out_of_place for n in self.nodes.get(span, []))

    def rank(self, block: str) -> int | None:
        for nodes in self.nodes.values():
            for node in nodes:
                if isinstance(node, BlockNode) and node.block == block:
                    return len(node.in_shape)
        return None

    def values(self, span: Span, get: Any) -> list[Any]:
        return [get(n) for n in self.nodes.get(span, [])]


class Deriver:
    def __init__(self, files: list[ast.SourceFile], observed: Observed) -> None:
        self.blocks = {b.name: b for f in files for b in f.blocks}
        self.observed = observed
        self.summaries: dict[str, Summary] = {}
        self.classes: list[ClassDef] = []
        self.taken: set[str] = set()
        self.notes: list[str] = []
        self.block = ""  # the block being derived, for messages
        self.loops: list[str] = []  # the loop variables of the repeats around a step

    # ---- classes ------------------------------------------------------------------
    def model_class(self, model: ast.ModelDef, ir: Model, name: str) -> ClassDef:
        self.notes, self.block = [], model.name
        shape = ir.input
        hw = (const(shape[1]), const(shape[2])) if len(shape) == 3 else None
        flow = Flow(const(shape[0]), len(shape), hw)
        walked = self.body(model.body.stmts, flow, Translator(frozenset()))
        return ClassDef(name, model.name, (), self.seq(walked.entries), 1)

    def summary(self, block: str) -> Summary:
        if block in self.summaries:
            return self.summaries[block]
        saved = self.notes, self.block, self.loops
        self.notes, self.block, self.loops = [], block, []
        node = self.blocks[block]
        rank = self.observed.rank(block) or 3
        input_name = "in_channels" if rank > 1 else "in_features"
        names: list[str] = []
        defaults: dict[str, Expr] = {}
        inputs = Flow(Expr(input_name, uses=frozenset({input_name})), rank).inputs()
        for param in node.params:
            if param.default is not None:
                default = Translator(frozenset(names), inputs=inputs)(param.default)
                if default is None:
                    raise EjectError(
                        f"block `{block}`: the default of `{param.name}` has no Python equivalent"
                    )
                defaults[python_name(param.name)] = default
            names.append(param.name)
        flow = Flow(Expr(input_name, uses=frozenset({input_name})), rank)
        walked = self.body(node.body.stmts, flow, Translator(frozenset(names), inputs=inputs))
        params = (input_name, *(python_name(n) for n in names))
        if len(set(params)) != len(params):
            raise EjectError(
                f"block `{block}`: its parameters {', '.join(names)} "
                f"give clashing Python names {', '.join(params[1:])}"
            )
        cls = ClassDef(
            class_name(block, self.taken),
            block,
            _signature(params, defaults, self._annotations(block, params, defaults)),
            self.seq(walked.entries),
            1,
            tuple(self.notes),
        )
        self.taken.add(cls.name)
        self.classes.append(cls)
        summary = Summary(
            cls,
            input_name,
            params,
            defaults,
            walked.flow.width,
            walked.resizes,
            walked.flow.rank,
            any(e.stateful for e in walked.entries),
        )
        self.summaries[block] = summary
        self.notes, self.block, self.loops = saved
        return summary

    def _annotations(
        self, block: str, params: tuple[str, ...], defaults: dict[str, Expr]
    ) -> dict[str, str]:
        kinds: dict[str, list[str]] = {p: [] for p in params}
        for nodes in self.observed.nodes.values():
            for node in nodes:
                if isinstance(node, BlockNode) and node.block == block:
                    for name, value in node.args.items():
                        kind = _kind(canonical(value))
                        key = python_name(name)
                        if key in kinds and kind not in kinds[key]:
                            kinds[key].append(kind)
        for name, default in defaults.items():
            if not kinds[name] and default.literal:
                kinds[name].append(_kind(default.value))  # a block no call of the spec takes
        return {p: " | ".join(k) if k else "int" for p, k in kinds.items()}

    # ---- bodies ---------------------------------------------------------------------
    def seq(self, entries: list[Entry]) -> TSeq:
        names = tuple(e.label if e.label is not None else str(i) for i, e in enumerate(entries))
        steps = tuple(e.template for e in entries)
        stateful = tuple(e.stateful for e in entries)
        if any(e.condition is not None for e in entries):
            if any(e.label is not None for e in entries):
                raise EjectError(
                    f"block `{self.block}`: labelled steps beside an `if` are numbered "
                    "differently from call to call"
                )
            return TSeq(names, steps, stateful, tuple(e.condition for e in entries))
        return TSeq(names, steps, stateful)

    def body(self, stmts: tuple[ast.Stmt, ...], flow: Flow, tr: Translator) -> Walked:
        tr = tr.scoped()
        return self.in_turn(stmts, flow, tr, self.statement)

    def statement(self, stmt: ast.Stmt, flow: Flow, tr: Translator) -> Walked | None:
        if isinstance(stmt, ast.Let):
            tr.lets[stmt.name] = tr(stmt.value)
        elif isinstance(stmt, ast.Chain):
            return self.chain(stmt, flow, tr)
        return None  # `input` and `expect`: the model's, no step

    def in_turn(self, items: tuple[Any, ...], flow: Flow, tr: Translator, walk: Any) -> Walked:
        """Walk statements or steps one after another, each fed what the one before gives."""
        entries: list[Entry] = []
        resizes: list[Expr | None] = []
        for item in items:
            tr.inputs = flow.inputs()
            walked = walk(item, flow, tr)
            if walked is not None:
                entries += walked.entries
                resizes.append(walked.resizes)
                flow = walked.flow
        return Walked(entries, flow, _any(resizes))

    def chain(self, chain: ast.Chain, flow: Flow, tr: Translator) -> Walked:
        single = chain.steps[0] if len(chain.steps) == 1 else None
        if chain.label is not None and not isinstance(
            single, ast.Call | ast.Residual | ast.Parallel | ast.Repeat
        ):
            inner = self.steps(chain.steps, flow, tr)
            stateful = any(e.stateful for e in inner.entries)
            group = Entry(chain.label, self.seq(inner.entries), stateful)
            return Walked([group], inner.flow, inner.resizes)
        walked = self.steps(chain.steps, flow, tr)
        if chain.label is not None:
            walked.entries = [replace(e, label=chain.label) for e in walked.entries]
        return walked

    def steps(self, steps: tuple[ast.Step, ...], flow: Flow, tr: Translator) -> Walked:
        return self.in_turn(steps, flow, tr, self.step)

    def step(self, step: ast.Step, flow: Flow, tr: Translator) -> Walked:
        if isinstance(step, ast.Call):
            if step.name in OPS:
                return self.op(step, flow, tr)
            return self.call(step, flow, tr)
        if isinstance(step, ast.Residual):
            return self.residual(step, flow, tr)
        if isinstance(step, ast.Parallel):
            return self.parallel(step, flow, tr)
        if isinstance(step, ast.Repeat):
            return self.repeat(step, flow, tr)
        if isinstance(step, ast.If):
            return self.if_step(step, flow, tr)
        return self.body(step.body.stmts, flow, tr)

    # ---- steps ----------------------------------------------------------------------
    def op(self, call: ast.Call, flow: Flow, tr: Translator) -> Walked:
        cls = OPS[call.name]
        args: dict[str, Any] = {}
        for key, expr in self.arguments(call, cls.arg_names(), tr).items():
            if expr is None:
                value = self.fixed(call.span, f"`{call.name}`'s `{key}`", _op_field(key))
                args[key] = value
            else:
                args[key] = expr.value if expr.literal else expr
        if not derivable(cls, flow.rank, args):
            raise EjectError(
                f"block `{self.block}`: eject cannot yet write `{call.name}` here (ops over "
                "sequences, volumes, tokens or channels-last maps); archdsl.build and "
                "`archdsl export --onnx` take the model"
            )
        width = flow.width
        if width is None:
            width = const(self.fixed(call.span, f"`{call.name}`'s input width", _in_width))
        hw = flow.hw
        if hw is None and cls is OPS["layernorm"] and flow.rank == 3:
            size = self.fixed(call.span, "`layernorm`'s input size", lambda n: n.in_shape[1:])
            hw = (const(size[0]), const(size[1]))
        made = op_layer(cls, args, width, flow.rank, hw)
        layer = made.layer
        if self.observed.shared(call.span):  # torch's default, `inplace=False`
            layer = replace(layer, slots=tuple(t for t in layer.slots if t.name != "inplace"))
        entry = Entry(None, layer, made.stateful)
        return Walked([entry], Flow(made.width, made.rank, made.hw), made.resizes)

    def call(self, call: ast.Call, flow: Flow, tr: Translator) -> Walked:
        callee = self.summary(call.name)
        given = self.arguments(call, callee.params[1:], tr, python=True)
        width = flow.width
        if width is None:
            width = const(self.fixed(call.span, f"`{call.name}`'s input width", _in_width))
        bindings: dict[str, Expr] = {callee.input: width}
        implicit: list[str] = []
        for name in callee.params[1:]:
            expr = given.get(name)
            if name in given and expr is None:
                expr = const(self.fixed(call.span, f"`{name}`", _block_arg(name)))
            if expr is None:
                implicit.append(name)
                expr = simplify(callee.defaults[name], bindings)
            bindings[name] = expr
        args = tuple((name, bindings[name]) for name in callee.params)
        instance = TInstance(callee.cls.name, args, frozenset(implicit))
        out = simplify(callee.width, bindings) if callee.width is not None else None
        resizes = simplify(callee.resizes, bindings) if callee.resizes is not None else None
        hw = flow.hw if is_false(resizes) else None
        entry = Entry(None, instance, callee.stateful)
        return Walked([entry], Flow(out, callee.rank, hw), resizes)

    def residual(self, res: ast.Residual, flow: Flow, tr: Translator) -> Walked:
        body = self.body(res.body.stmts, flow, tr)
        seq = self.seq(body.entries)
        stateful = any(e.stateful for e in body.entries)
        if res.project is None:
            return Walked([Entry(None, TRes(seq, None, None), stateful)], body.flow, body.resizes)
        project = self.body(res.project.stmts, flow, tr)
        condition: Expr | None = None
        if body.resizes is not None and flow.width is not None and body.flow.width is not None:
            changes = combine("{0} != {1}", flow.width, body.flow.width)
            condition = any_of([body.resizes, changes])
        if condition is None:
            used = self.fixed(res.span, "whether the residual uses its `project`", _projects)
            condition = const(used)
        if is_false(condition):
            template = TRes(seq, None, None)
        elif condition.literal:
            template = TRes(seq, self.seq(project.entries), None)
            stateful = stateful or any(e.stateful for e in project.entries)
        else:
            template = TRes(seq, self.seq(project.entries), condition)
            stateful = True
        return Walked([Entry(None, template, stateful)], body.flow, body.resizes)

    def parallel(self, par: ast.Parallel, flow: Flow, tr: Translator) -> Walked:
        branches = [self.body(b.stmts, flow, tr) for b in par.branches]
        rank = branches[0].flow.rank
        widths = [b.flow.width for b in branches]
        width: Expr | None = widths[0]
        resizes = _any([b.resizes for b in branches])
        if par.merge == "concat":
            width = None
            if all(w is not None for w in widths):
                width = join(" + ", [w for w in widths if w is not None])
        elif par.merge == "mul":
            width, rank, resizes = _broadcast(branches)
        hw = flow.hw if is_false(resizes) else None
        merge = TMerge(par.merge, tuple(self.seq(b.entries) for b in branches))
        stateful = any(e.stateful for b in branches for e in b.entries)
        return Walked([Entry(None, merge, stateful)], Flow(width, rank, hw), resizes)

    def repeat(self, rep: ast.Repeat, flow: Flow, tr: Translator) -> Walked:
        if rep.var is not None:
            var = python_name(rep.var)
        else:  # a name of its own: `i`, or `i2` where `i` is a parameter or an outer loop's
            taken = {python_name(n) for n in tr.names} | set(self.loops)
            var = next(v for v in ("i", *(f"i{k}" for k in range(2, 99))) if v not in taken)
        self.loops.append(var)
        try:
            return self._repeat(rep, var, flow, tr)
        finally:
            self.loops.pop()

    def _repeat(self, rep: ast.Repeat, var: str, flow: Flow, tr: Translator) -> Walked:
        count = tr(rep.times)
        if count is None:
            count = const(self.fixed(rep.span, "the `repeat` count", _count))
        inner = tr.scoped(frozenset({rep.var}) if rep.var is not None else frozenset())
        loop = Expr(var, uses=frozenset({var}))
        # The width one copy gives for a width `_w` it is fed: the same, a fixed one, or
        # one that grows from copy to copy (which no expression of the count gives).
        placeholder = Expr("_w", uses=frozenset({"_w"}))
        notes = list(self.notes)
        once = self.copy(rep.body, Flow(placeholder, flow.rank, flow.hw), inner)
        self.notes = notes
        out = once.flow.width
        if out is not None and out.code == "_w":
            first = flow.width
        elif out is not None and "_w" not in out.uses and flow.width is not None:
            before = simplify(out, {loop.code: combine("{0} - 1", loop)})
            first = choose(combine("{0} == 0", loop), flow.width, before)
        else:
            first = None
        if first is None and count.literal and flow.width is not None:
            return self.unrolled(rep, count.value, flow, tr)
        differs = first is not None and flow.width is not None and first.code != flow.width.code
        if rep.var is None and differs and count.literal and count.value > 0:
            # The first copy takes the input, the others what a copy gives: written apart.
            head = self.copy(rep.body, flow, inner)
            tail = self.copy(rep.body, Flow(out, flow.rank, flow.hw), inner)
            template = TRep(
                head.entries[0].template, tail.entries[0].template, const(count.value - 1)
            )
            stateful = head.entries[0].stateful
            resizes = _any([head.resizes, tail.resizes]) if count.value > 1 else head.resizes
            hw = flow.hw if is_false(resizes) else None
            return Walked(
                [Entry(None, template, stateful)], Flow(tail.flow.width, flow.rank, hw), resizes
            )
        walked = self.copy(rep.body, Flow(first, flow.rank, flow.hw), inner)
        last = combine("{0} - 1", count)
        after = simplify(walked.flow.width, {loop.code: last}) if walked.flow.width else None
        if after is not None and flow.width is not None:
            after = choose(combine("{0} > 0", count), after, flow.width)
        resizes = None
        if walked.resizes is not None and loop.code not in walked.resizes.uses:
            resizes = simplify(combine("{0} > 0 and {1}", count, walked.resizes))
        hw = flow.hw if is_false(resizes) else None
        step = walked.entries[0]
        template = _loop(step.template, count, loop.code)
        return Walked([Entry(None, template, step.stateful)], Flow(after, flow.rank, hw), resizes)

    def unrolled(self, rep: ast.Repeat, count: int, flow: Flow, tr: Translator) -> Walked:
        """Copies whose width grows from one to the next, listed: copy k is fed what k-1 gives."""
        templates: list[Template] = []
        resizes: list[Expr | None] = []
        stateful = False
        for k in range(count):
            inner = tr.scoped()
            if rep.var is not None:
                inner.lets[rep.var] = const(k)
            walked = self.copy(rep.body, flow, inner)
            templates.append(walked.entries[0].template)
            stateful = stateful or walked.entries[0].stateful
            resizes.append(walked.resizes)
            flow = walked.flow
        template = TRep(None, None, const(count), tuple(templates))
        return Walked([Entry(None, template, stateful)], flow, _any(resizes))

    def copy(self, body: ast.Step, flow: Flow, tr: Translator) -> Walked:
        """One copy of a repeat's body: a group of steps, or the one step."""
        if isinstance(body, ast.Group):
            walked = self.body(body.body.stmts, flow, tr)
            stateful = any(e.stateful for e in walked.entries)
            return Walked(
                [Entry(None, self.seq(walked.entries), stateful)], walked.flow, walked.resizes
            )
        tr.inputs = flow.inputs()
        walked = self.step(body, flow, tr)
        if len(walked.entries) != 1 or walked.entries[0].condition is not None:
            raise EjectError(f"block `{self.block}`: a `repeat` of an `if` is not supported")
        return walked

    def if_step(self, step: ast.If, flow: Flow, tr: Translator) -> Walked:
        test = tr(step.cond)
        if test is not None:
            test = simplify(test)  # `in.channels` spelt out may fold: `i == 0 and ...`
        if test is None:
            raise EjectError(
                f"block `{self.block}`: the condition at {step.cond.span} has no Python equivalent"
            )
        then = self.body(step.then.stmts, flow, tr)
        if isinstance(step.orelse, ast.If):
            orelse = self.if_step(step.orelse, flow, tr)
        elif isinstance(step.orelse, ast.Body):
            orelse = self.body(step.orelse.stmts, flow, tr)
        else:
            orelse = Walked([], flow, const(False))
        if then.flow.rank != orelse.flow.rank:
            raise EjectError(f"block `{self.block}`: the branches of an `if` give different ranks")
        entries = [_under(e, test) for e in then.entries]
        entries += [_under(e, negate(test)) for e in orelse.entries]
        width = _choose(test, then.flow.width, orelse.flow.width)
        hw = then.flow.hw if then.flow.hw == orelse.flow.hw else None
        resizes = _choose(test, then.resizes, orelse.resizes)
        return Walked(entries, Flow(width, then.flow.rank, hw), resizes)

    # ---- arguments --------------------------------------------------------------------
    def arguments(
        self, call: ast.Call, names: tuple[str, ...], tr: Translator, python: bool = False
    ) -> dict[str, Expr | None]:
        """The call's arguments by name: an Expr, or None where Python has none."""
        found: dict[str, Expr | None] = {}
        for i, arg in enumerate(call.args):
            key = arg.name if arg.name is not None else (names[i] if i < len(names) else None)
            if key is None:
                continue
            found[python_name(key) if python else key] = tr(arg.value)
        return found

    def fixed(self, span: Span, what: str, get: Any) -> Any:
        """The one value every call in the spec has where no expression gives it; noted."""
        values = self.observed.values(span, get)
        if not values or any(v != values[0] for v in values):
            raise EjectError(
                f"block `{self.block}`: {what} at {span} cannot be computed from the "
                "block's parameters, and its calls differ in it"
            )
        value = values[0]
        note = f"{what} (line {span.line}) is {value!r}, as in every call of the spec"
        if note not in self.notes:
            self.notes.append(note)
        return canonical(value) if isinstance(value, tuple | list) else value


def _under(entry: Entry, test: Expr) -> Entry:
    """The entry taken only where `test` holds (and its own condition, if any)."""
    condition = test if entry.condition is None else conjoin(test, entry.condition)
    return replace(entry, condition=condition)


def _broadcast(branches: list[Walked]) -> tuple[Expr | None, int, Expr | None]:
    """`mul`'s output: the widest rank's width (where widths differ, one of them is 1,
    so the larger); its size is that of a branch that keeps it, if any does."""
    rank = max(b.flow.rank for b in branches)
    widest = [b for b in branches if b.flow.rank == rank]
    widths = [
        b.flow.width
        for b in widest
        if not (b.flow.width and b.flow.width.literal and b.flow.width.value == 1)
    ] or [widest[0].flow.width]
    width: Expr | None = None
    if all(w is not None for w in widths):
        known = [w for w in widths if w is not None]
        codes = {w.code for w in known}
        width = known[0] if len(codes) == 1 else combine(f"max({join(', ', known).code})")
    resizes: Expr | None = const(False)
    if not any(is_false(b.resizes) for b in widest):
        resizes = _any([b.resizes for b in widest])
    return width, rank, resizes


def _kind(value: Any) -> str:
    return "tuple[int, int]" if isinstance(value, tuple) else type(value).__name__


def _signature(
    params: tuple[str, ...], defaults: dict[str, Expr], annotations: dict[str, str]
) -> tuple[Param, ...]:
    out = []
    for name in params:
        default = defaults.get(name)
        annotation = annotations[name]
        if default is not None and not default.literal:
            annotation += " | None"
        out.append(Param(name, annotation, default))
    # Python takes no parameter without a default after one with.
    last = max((i for i, p in enumerate(out) if p.default is None), default=-1)
    return tuple(
        replace(p, default=None, annotation=p.annotation.removesuffix(" | None")) if i < last else p
        for i, p in enumerate(out)
    )


def _any(parts: list[Expr | None]) -> Expr | None:
    if any(p is None for p in parts):
        return None
    return any_of([p for p in parts if p is not None])


def _choose(test: Expr, then: Expr | None, orelse: Expr | None) -> Expr | None:
    if then is None or orelse is None:
        return None
    return choose(test, then, orelse)


def _loop(template: Template, count: Expr, var: str) -> TRep:
    """`[copy for i in range(count)]`; `_` for a loop variable the copies do not use."""
    return TRep(None, template, count, var=var if var in uses(template) else "_")


def _op_field(key: str) -> Any:
    return lambda n: getattr(n.op, key) if isinstance(n, OpNode) else None


def _block_arg(name: str) -> Any:
    def get(n: Node) -> Any:
        if not isinstance(n, BlockNode):
            return None
        return next((v for k, v in n.args.items() if python_name(k) == name), None)

    return get


def _in_width(n: Node) -> int:
    return n.in_shape[0]


def _projects(n: Node) -> bool | None:
    return n.project is not None if isinstance(n, ResidualNode) else None


def _count(n: Node) -> int | None:
    return n.count if isinstance(n, RepeatNode) else None
