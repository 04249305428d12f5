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

A body whose values do not form a chain (named values, merges of them, a
`param`, a `chunk`, several inputs or outputs) is walked the same way, each
step also noting the locals it reads and makes: the class's `forward` is then
written from that wiring, one line per step (`graph_body`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from typing import Any

from archdsl.diagnostics import Span
from archdsl.export.eject.classes import ClassDef, Param, class_name, uses
from archdsl.export.eject.errors import EjectError
from archdsl.export.eject.layers_nd import NeedDim
from archdsl.export.eject.named_values import (
    after_copies,
    axes_named,
    is_chain,
    joins,
    plain,
    value_name,
    values_read,
)
from archdsl.export.eject.op_layer import is_false, op_layer
from archdsl.export.eject.symbolic import any_of, choose, combine, const, join, simplify
from archdsl.export.eject.template import (
    Expr,
    Template,
    TInstance,
    TMerge,
    TRep,
    TRes,
    TSeq,
    Wiring,
)
from archdsl.export.eject.translate import Translator, conjoin, negate, python_name
from archdsl.export.eject.tree import canonical
from archdsl.ir import BlockNode, Model, Node, OpNode, RepeatNode, ResidualNode, Value
from archdsl.ir.inplace import out_of_place
from archdsl.ops import OPS
from archdsl.ops.base import Op
from archdsl.syntax import ast


@dataclass(frozen=True)
class Flow:
    """What flows into a step: each axis's size as an expression (None where unknown).

    The first axis is the width (channels, or features of a flat input); `hw` the
    height and width of an image.
    """

    dims: tuple[Expr | None, ...]

    @staticmethod
    def of(width: Expr | None, rank: int, hw: tuple[Expr, Expr] | None = None) -> Flow:
        rest: tuple[Expr | None, ...] = (None,) * (rank - 1)
        if hw is not None and rank == 3:
            rest = hw
        return Flow((width, *rest))

    def kept(self, width: Expr | None, rank: int, resizes: Expr | None) -> Flow:
        """The flow after a step of `width` and `rank` that resizes no other axis
        where `resizes` is False."""
        if is_false(resizes) and rank == self.rank:
            return Flow((width, *self.dims[1:]))
        return Flow.of(width, rank)

    @property
    def width(self) -> Expr | None:
        return self.dims[0]

    @property
    def rank(self) -> int:
        return len(self.dims)

    @property
    def hw(self) -> tuple[Expr, Expr] | None:
        if self.rank != 3 or self.dims[1] is None or self.dims[2] is None:
            return None
        return self.dims[1], self.dims[2]

    def inputs(self) -> dict[str, Expr | None]:
        return shape_attrs(self.dims)


def shape_attrs(dims: tuple[Expr | None, ...]) -> dict[str, Expr | None]:
    """`in.channels` and its kin, for a value of these sizes."""
    known = [d for d in dims if d is not None]
    features = join(" * ", known) if len(known) == len(dims) else None
    attrs: dict[str, Expr | None] = {"features": features, "channels": dims[0]}
    if len(dims) == 3:
        attrs["height"], attrs["width"] = dims[1], dims[2]
    return attrs


@dataclass(frozen=True)
class Entry:
    """One step of a body: its label (None: numbered), template and condition."""

    label: str | None
    template: Template
    stateful: bool
    condition: Expr | None = None
    # In a body whose values do not form a chain: the locals it reads and makes.
    reads: tuple[str, ...] = ()
    makes: tuple[str, ...] = ()
    resizes: Expr | None = None  # whether it changes the size of an axis but the first


@dataclass(frozen=True)
class Local:
    """A value of a body that is no chain: its Python name, sizes, and whether it is
    batched (a `param` is one tensor shared by every sample)."""

    name: str
    flow: Flow
    batched: bool = True


@dataclass(frozen=True)
class Graphed:
    seq: TSeq
    out: Flow  # the (first) output's sizes
    resizes: Expr | None
    others: tuple[Flow, ...] = ()  # the sizes of each output after the first


@dataclass
class Walked:
    entries: list[Entry]
    flow: Flow
    resizes: Expr | None  # whether the steps change the height or width of some input


@dataclass(frozen=True)
class Summary:
    """What a caller needs of a block: its class, parameters, outputs and resizing."""

    cls: ClassDef
    input: tuple[Expr | None, ...]  # the sizes of its input, as its class names them
    values: tuple[str, ...]  # the parameters that take named values, fed to forward
    value_dims: dict[str, tuple[Expr | None, ...]]  # their sizes, as the class names them
    params: tuple[str, ...]  # the class's parameters: sizes, then the block's own
    sizes: int  # how many of `params` are sizes of its inputs
    defaults: dict[str, Expr]
    out: tuple[Expr | None, ...]  # its (first) output's sizes
    resizes: Expr | None
    others: tuple[tuple[Expr | None, ...], ...]  # the sizes of its outputs after the first
    stateful: bool


@dataclass
class Observed:
    """The IR's nodes by the span of the spec text that made them: the calls' values."""

    nodes: dict[Span, list[Node]] = field(default_factory=lambda: defaultdict(list))
    out_of_place: frozenset[str] = frozenset()  # paths of in-place ops whose input is shared
    by_id: dict[str, Value] = field(default_factory=dict)  # the model's values

    @staticmethod
    def of(model: Model) -> Observed:
        seen = Observed(out_of_place=out_of_place(model), by_id=dict(model.values))
        for node in model.root.walk():
            seen.nodes[node.span].append(node)
        return seen

    def shared(self, span: Span) -> bool:
        """Whether any op the text at `span` made must not overwrite its input: one
        class serves every instance, so one shared input rules in-place out for all."""
        return any(n.path in self.out_of_place for n in self.nodes.get(span, []))

    def ranks(self, block: str) -> list[int]:
        """The ranks of a call's input, then of the values it reads, first read first."""
        for nodes in self.nodes.values():
            for node in nodes:
                if isinstance(node, BlockNode) and node.block == block:
                    return [
                        len(node.in_shape),
                        *(len(self.by_id[v].shape) for v in node.inputs[1:]),
                    ]
        return []

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
        # A block call's outputs after the first, their sizes bound to the call's arguments.
        self.bound_others: dict[Span, tuple[tuple[Expr | None, ...], ...]] = {}
        # Parts of a `chunk`, by their code: the whole they divide exactly, and how many.
        self.exact: dict[str, tuple[Expr, int]] = {}

    # ---- classes ------------------------------------------------------------------
    def model_class(self, model: ast.ModelDef, ir: Model, name: str) -> ClassDef:
        self.notes, self.block = [], model.name
        tr = Translator(frozenset())
        named = [s for s in model.body.stmts if isinstance(s, ast.NamedInput)]
        inputs: list[tuple[str, Local]] = []
        for i, value in enumerate(ir.inputs):
            spec = named[i].name if i < len(named) else "x"
            dims = tuple(const(d) for d in ir.values[value].shape)
            inputs.append((spec, Local(python_name(spec) if named else "x", Flow(dims))))
        graphed = self.graph_body(model.body.stmts, inputs, tr)
        return ClassDef(name, model.name, (), graphed.seq, 1)

    def summary(self, block: str) -> Summary:
        if block in self.summaries:
            return self.summaries[block]
        saved = self.notes, self.block, self.loops
        self.notes, self.block, self.loops = [], block, []
        node = self.blocks[block]
        ranks = self.observed.ranks(block)
        rank = ranks[0] if ranks else 3
        named = next((s.name for s in node.body.stmts if isinstance(s, ast.NamedInput)), "x")
        flow = Flow(axes_named("in", rank))
        read = values_read(node)
        values = dict(zip(read, ranks[1:], strict=False))
        value_dims = {p: Flow(axes_named(python_name(p), r)) for p, r in values.items()}
        names: list[str] = []
        defaults: dict[str, Expr] = {}
        inputs = flow.inputs()
        for param in node.params:
            if param.name in values:
                continue
            if param.default is not None:
                default = Translator(frozenset(names), inputs=inputs)(param.default)
                if default is None:
                    raise EjectError(
                        f"block `{block}`: the default of `{param.name}` has no Python equivalent"
                    )
                defaults[python_name(param.name)] = default
            names.append(param.name)
        tr = Translator(frozenset(names), inputs=inputs)
        locals_ = [(named, Local(python_name(named) if named != "x" else "x", flow))]
        locals_ += [(p, Local(python_name(p), f)) for p, f in value_dims.items()]
        graphed = self.graph_body(node.body.stmts, locals_, tr)
        body = graphed.seq
        used = uses(body) | {u for d in defaults.values() for u in d.uses}
        dim_params = [
            d.code
            for i, d in enumerate(flow.dims)
            if d is not None and (d.code in used or (i == 0 and rank in (1, 3)))
        ]
        for f in value_dims.values():
            dim_params += [d.code for d in f.dims if d is not None and d.code in used]
        params = (*dim_params, *(python_name(n) for n in names))
        if len(set(params)) != len(params):
            raise EjectError(
                f"block `{block}`: its parameters {', '.join(names)} "
                f"give clashing Python names {', '.join(params[len(dim_params) :])}"
            )
        cls = ClassDef(
            class_name(block, self.taken),
            block,
            _signature(params, defaults, self._annotations(block, params, defaults)),
            body,
            1,
            tuple(self.notes),
        )
        self.taken.add(cls.name)
        self.classes.append(cls)
        summary = Summary(
            cls,
            flow.dims,
            tuple(values),
            {p: f.dims for p, f in value_dims.items()},
            params,
            len(dim_params),
            defaults,
            graphed.out.dims,
            graphed.resizes,
            tuple(f.dims for f in graphed.others),
            any(body.stateful),
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

    # ---- bodies whose values may not form a chain -------------------------------------
    def graph_body(
        self, stmts: tuple[ast.Stmt, ...], inputs: list[tuple[str, Local]], tr: Translator
    ) -> Graphed:
        """A model's or block's body: its steps, and how values flow between them."""
        if len(inputs) == 1 and plain(stmts, self.blocks):
            walked = self.body(stmts, inputs[0][1].flow, tr)
            return Graphed(self.seq(walked.entries), walked.flow, walked.resizes)
        saved, self.exact = self.exact, {}  # what a chunk tells holds in its body only
        try:
            return self._graph_body(stmts, inputs, tr)
        finally:
            self.exact = saved

    def _graph_body(
        self, stmts: tuple[ast.Stmt, ...], inputs: list[tuple[str, Local]], tr: Translator
    ) -> Graphed:
        scope = {spec: local for spec, local in inputs}
        taken = {local.name for _, local in inputs}
        current = inputs[0][1]
        entries: list[Entry] = []
        outputs: list[Local] | None = None
        for spec, local in inputs:
            tr.values[spec] = local.flow.inputs()
        for stmt in stmts:
            tr.inputs = current.flow.inputs()
            if isinstance(stmt, ast.Let):
                tr.lets[stmt.name] = tr(stmt.value)
            elif isinstance(stmt, ast.OutputStmt):
                outputs = [scope[name] for name in stmt.names]
            elif isinstance(stmt, ast.Assign | ast.Chain):
                chain = stmt.chain if isinstance(stmt, ast.Assign) else stmt
                names = stmt.names if isinstance(stmt, ast.Assign) else ()
                made = self.graph_chain(chain, current, scope, taken, entries, tr, names)
                for name, local in zip(names, made, strict=False):
                    if name != "_":
                        scope[name] = local
                        tr.values[name] = local.flow.inputs()
                label = chain.label
                if label is not None and len(made) == 1 and label not in scope:
                    scope[label] = made[0]
                    tr.values[label] = made[0].flow.inputs()
                current = made[0]
        outs = outputs or [current]
        wiring = Wiring(
            tuple(local.name for _, local in inputs),
            tuple(e.reads for e in entries),
            tuple(e.makes for e in entries),
            tuple(local.name for local in outs),
        )
        if is_chain(wiring):
            return Graphed(self.seq(entries), outs[0].flow, _any([e.resizes for e in entries]))
        # Whether the output's sizes differ from the input's, axis by axis, where known.
        first, last = inputs[0][1].flow, outs[0].flow
        resizes = None
        if last.rank == first.rank:
            resizes = _any(
                [
                    combine("{0} != {1}", a, b) if a is not None and b is not None else None
                    for a, b in zip(first.dims[1:], last.dims[1:], strict=True)
                ]
            )
        others = tuple(local.flow for local in outs[1:])
        return Graphed(replace(self.seq(entries), wiring=wiring), last, resizes, others)

    def graph_chain(
        self,
        chain: ast.Chain,
        current: Local,
        scope: dict[str, Local],
        taken: set[str],
        entries: list[Entry],
        tr: Translator,
        names: tuple[str, ...],
    ) -> list[Local]:
        """The entries of one chain of a body, appended; the values it ends with."""
        steps = list(chain.steps)
        while steps and self._value_ref(steps[0], scope):
            step = steps.pop(0)
            assert isinstance(step, ast.Call)
            current = scope[step.name]
        if not steps:
            return [current]

        def fresh(final: bool, count: int = 1) -> tuple[str, ...]:
            if final and names and len(names) == count:
                wanted = [python_name(n) if n != "_" else "_" for n in names]
            elif final and count == 1 and chain.label is not None:
                wanted = [python_name(chain.label)]
            else:
                wanted = [f"h{len(entries)}" + (f"_{i}" if count > 1 else "") for i in range(count)]
            out = []
            for want in wanted:
                candidate, i = want, 2
                while candidate in taken and want != "_":
                    candidate, i = f"{want}{i}", i + 1
                taken.add(candidate)
                out.append(candidate)
            return tuple(out)

        plain = not any(self._value_step(s, scope) for s in steps)
        if chain.label is not None and len(steps) > 1:
            if not plain:
                raise EjectError(
                    f"block `{self.block}`: eject cannot write the labelled chain "
                    f"`{chain.label}`, which joins named values"
                )
            tr.inputs = current.flow.inputs()
            walked = self.chain(chain._replace(steps=tuple(steps)), current.flow, tr)
            (group,) = [Local(n, walked.flow) for n in fresh(True)]
            entry = replace(walked.entries[0], reads=(current.name,), makes=(group.name,))
            entries.append(replace(entry, resizes=walked.resizes))
            return [group]
        locals_ = [current]
        for k, step in enumerate(steps):
            last = k == len(steps) - 1
            tr.inputs = current.flow.inputs()
            if isinstance(step, ast.Call) and self._value_ref(step, scope):
                current = scope[step.name]
                continue
            if isinstance(step, ast.Call) and step.name in OPS and self.several(step):
                outs, entry = self.value_op(step, current, scope, tr)
                made = [
                    Local(n, f, b) for n, (f, b) in zip(fresh(last, len(outs)), outs, strict=True)
                ]
                cls = OPS[step.name]
                if cls.takes_values():
                    reads = tuple(scope[value_name(a)].name for a in step.args if a.name is None)
                else:
                    reads = (current.name,) if cls.arity != (0, 0) else ()
            else:
                extra: tuple[str, ...] = ()
                if isinstance(step, ast.Call) and step.name in self.blocks:
                    walked, extra = self.call_values(step, current.flow, scope, tr)
                else:
                    walked = self.step(step, current.flow, tr)
                if len(walked.entries) != 1 or walked.entries[0].condition is not None:
                    raise EjectError(
                        f"block `{self.block}`: eject cannot write a group or `if` "
                        "among named values"
                    )
                entry = walked.entries[0]
                others: tuple[Flow, ...] = ()
                if isinstance(step, ast.Call) and step.name in self.summaries:
                    # A block's further outputs: their sizes in the caller's terms.
                    others = tuple(Flow(d) for d in self.bound_others.pop(step.span, ()))
                flows = (walked.flow, *others)
                names_made = fresh(last, len(flows))
                made = [Local(n, f) for n, f in zip(names_made, flows, strict=True)]
                reads = (current.name, *extra)
                entry = replace(entry, resizes=walked.resizes)
            label = chain.label if len(steps) == 1 else None
            entries.append(
                replace(entry, label=label, reads=reads, makes=tuple(m.name for m in made))
            )
            locals_ = made
            current = made[0]
        return locals_

    def _value_ref(self, step: ast.Step, scope: dict[str, Local]) -> bool:
        return (
            isinstance(step, ast.Call)
            and step.name in scope
            and not step.args
            and (step.name not in OPS and step.name not in self.blocks)
        )

    def _value_step(self, step: ast.Step, scope: dict[str, Local]) -> bool:
        if not isinstance(step, ast.Call):
            return False
        if self._value_ref(step, scope):
            return True
        if step.name in OPS:
            return self.several(step)
        return any(isinstance(a.value, ast.Name) and a.value.id in scope for a in step.args)

    def several(self, call: ast.Call) -> bool:
        """Whether an op call is a line of a forward: it reads named values or none, or
        makes several (in some call of the spec)."""
        made = (len(n.outputs) for n in self.observed.nodes.get(call.span, []))
        return joins(OPS[call.name]) or max(made, default=1) > 1

    def value_op(
        self, call: ast.Call, current: Local, scope: dict[str, Local], tr: Translator
    ) -> tuple[list[tuple[Flow, bool]], Entry]:
        """A merge, a `param` or a cut: an op of several values, or none, or several out."""
        cls = OPS[call.name]
        fields = call
        reads = [current]
        if cls.takes_values():
            fields = call._replace(args=tuple(a for a in call.args if a.name is not None))
            reads = [scope[value_name(a)] for a in call.args if a.name is None]
        elif cls.arity == (0, 0):
            reads = []
        args = self.op_args(fields, cls, tr)
        operands = [(r.flow.dims, r.batched) for r in reads]
        try:
            count = max((len(n.outputs) for n in self.observed.nodes.get(call.span, [])), default=1)
            made = op_layer(cls, args, (), operands, count)
        except (NeedDim, ValueError, TypeError):
            raise EjectError(
                f"block `{self.block}`: eject cannot compute the sizes `{call.name}` "
                "needs from the block's parameters"
            ) from None
        batched = cls.arity[0] > 0 and any(r.batched for r in reads)
        dims = list(made.outs)
        dim = args.get("dim", 0)
        if not isinstance(dim, int):
            dim = None
        whole = operands[0][0][dim % len(operands[0][0])] if operands and dim is not None else None
        if call.name == "chunk" and whole is not None and dim is not None:
            # Its parts divide the axis exactly (elaboration checks it): joined again, they
            # give the whole, which `x // 2 + x // 2` alone does not say.
            part = dims[0][dim % len(dims[0])]
            if part is not None:
                self.exact[part.code] = (whole, len(dims))
        if call.name == "concat" and dim is not None:
            axis = dim % len(dims[0])
            parts = {r.flow.dims[axis].code if r.flow.dims[axis] else "" for r in reads}
            known = self.exact.get(next(iter(parts)), None) if len(parts) == 1 else None
            if known is not None and known[1] == len(reads):
                dims[0] = (*dims[0][:axis], known[0], *dims[0][axis + 1 :])
        outs = [(Flow(d), batched) for d in dims]
        return outs, Entry(None, made.layer, made.stateful)

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
    def op_args(self, call: ast.Call, cls: type[Op], tr: Translator) -> dict[str, Any]:
        """The op's arguments by field: values, or Exprs over the class's parameters."""
        args: dict[str, Any] = {}
        written = {
            (a.name if a.name is not None else cls.arg_names()[i]): a.value
            for i, a in enumerate(call.args)
            if a.name is not None or i < len(cls.arg_names())
        }
        for key, expr in self.arguments(call, cls.arg_names(), tr).items():
            if expr is None:
                args[key] = self.fixed(call.span, f"`{call.name}`'s `{key}`", _op_field(key))
            elif isinstance(raw := written.get(key), ast.Literal) and isinstance(expr.value, tuple):
                args[key] = raw.value  # as written: 3x3 is no square side
            elif isinstance(written.get(key), ast.ListExpr) and expr.literal:
                args[key] = list(expr.value)
            else:
                args[key] = expr.value if expr.literal else expr
        return args

    def op(self, call: ast.Call, flow: Flow, tr: Translator) -> Walked:
        cls = OPS[call.name]
        if self.several(call):
            raise EjectError(
                f"block `{self.block}`: eject writes `{call.name}` only in a model's or "
                "block's own body, not inside a residual, branch or repeat"
            )
        args = self.op_args(call, cls, tr)
        dims = list(flow.dims)
        while True:
            try:
                made = op_layer(cls, args, tuple(dims))
                break
            except NeedDim as need:
                axis = need.axis
                if dims[axis] is not None:
                    raise
                what = f"`{call.name}`'s input size on axis {axis}"
                dims[axis] = const(self.fixed(call.span, what, _in_size(axis)))
            except (KeyError, ValueError, TypeError) as err:
                raise EjectError(
                    f"block `{self.block}`: eject cannot write `{call.name}` here from the "
                    f"block's parameters ({err})"
                ) from None
        layer = made.layer
        if self.observed.shared(call.span):  # torch's default, `inplace=False`
            layer = replace(layer, slots=tuple(t for t in layer.slots if t.name != "inplace"))
        entry = Entry(None, layer, made.stateful)
        out = made.outs[0]
        if is_false(made.resizes) and len(out) == len(dims):
            out = (out[0], *flow.dims[1:])
        return Walked([entry], Flow(out), made.resizes)

    def call(self, call: ast.Call, flow: Flow, tr: Translator) -> Walked:
        walked, values = self.call_values(call, flow, {}, tr)
        if values:
            raise EjectError(
                f"block `{self.block}`: eject passes named values to `{call.name}` only "
                "in a model's or block's own body"
            )
        return walked

    def call_values(
        self, call: ast.Call, flow: Flow, scope: dict[str, Local], tr: Translator
    ) -> tuple[Walked, tuple[str, ...]]:
        """A block call, and the locals it is given besides its input (named values)."""
        callee = self.summary(call.name)
        block = self.blocks[call.name]
        spec_params = [p.name for p in block.params]
        given_values: dict[str, Local] = {}
        kept = []
        for i, arg in enumerate(call.args):
            key = arg.name if arg.name is not None else spec_params[i]
            if key in callee.values:
                given_values[key] = scope[value_name(arg)]
            else:
                kept.append(arg)
        own = tuple(p for p in callee.params[callee.sizes :])
        given = self.arguments(
            call._replace(args=tuple(kept)),
            tuple(python_name(p) for p in spec_params if p not in callee.values),
            tr,
            python=True,
        )
        bindings: dict[str, Expr] = {}
        sizes: list[tuple[tuple[Expr | None, ...], tuple[Expr | None, ...], str | None]] = [
            (callee.input, flow.dims, None)
        ]
        sizes += [(callee.value_dims[p], given_values[p].flow.dims, p) for p in callee.values]
        for names, dims, value in sizes:
            for axis, (size, dim) in enumerate(zip(names, dims, strict=True)):
                if size is None:
                    continue
                if dim is None and size.code in callee.params:
                    what = f"`{call.name}`'s input size on axis {axis}"
                    if value is not None:
                        what = f"the size on axis {axis} of `{value}` given to `{call.name}`"
                    index = callee.values.index(value) + 1 if value is not None else 0
                    dim = const(
                        self.fixed(call.span, what, _in_size(axis, index, self.observed.by_id))
                    )
                if dim is not None:
                    bindings[size.code] = dim
        implicit: list[str] = []
        for name in own:
            expr = given.get(name)
            if name in given and expr is None:
                expr = const(self.fixed(call.span, f"`{name}`", _block_arg(name)))
            if expr is None:
                implicit.append(name)
                expr = simplify(callee.defaults[name], bindings)
            bindings[name] = expr
        args = tuple((name, bindings[name]) for name in callee.params)
        instance = TInstance(callee.cls.name, args, frozenset(implicit))
        out = tuple(simplify(d, bindings) if d is not None else None for d in callee.out)
        self.bound_others[call.span] = tuple(
            tuple(simplify(d, bindings) if d is not None else None for d in dims)
            for dims in callee.others
        )
        resizes = simplify(callee.resizes, bindings) if callee.resizes is not None else None
        if is_false(resizes) and len(out) == flow.rank:
            out = (out[0], *flow.dims[1:])
        entry = Entry(None, instance, callee.stateful)
        reads = tuple(given_values[p].name for p in callee.values)
        return Walked([entry], Flow(out), resizes), reads

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
        merge = TMerge(par.merge, tuple(self.seq(b.entries) for b in branches))
        stateful = any(e.stateful for b in branches for e in b.entries)
        return Walked([Entry(None, merge, stateful)], flow.kept(width, rank, resizes), resizes)

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
        once = self.copy(rep.body, Flow((placeholder, *flow.dims[1:])), inner)
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
            tail = self.copy(rep.body, Flow((out, *flow.dims[1:])), inner)
            template = TRep(
                head.entries[0].template, tail.entries[0].template, const(count.value - 1)
            )
            stateful = head.entries[0].stateful
            resizes = _any([head.resizes, tail.resizes]) if count.value > 1 else head.resizes
            ends = flow.kept(tail.flow.width, tail.flow.rank, resizes)
            return Walked([Entry(None, template, stateful)], ends, resizes)
        walked = self.copy(rep.body, Flow((first, *flow.dims[1:])), inner)
        last: Expr = combine("{0} - 1", count)
        after = simplify(walked.flow.width, {loop.code: last}) if walked.flow.width else None
        if after is not None and flow.width is not None:
            after = choose(combine("{0} > 0", count), after, flow.width)
        resizes = None
        if walked.resizes is not None and loop.code not in walked.resizes.uses:
            resizes = simplify(combine("{0} > 0 and {1}", count, walked.resizes))
        step = walked.entries[0]
        template = _loop(step.template, count, loop.code)
        out_flow = flow.kept(after, walked.flow.rank, resizes)
        if not is_false(resizes) and walked.flow.rank == flow.rank:
            # Sizes every copy gives alike (an MLP's width): the last copy's, if any runs.
            rest = [
                after_copies(d, before, count, {loop.code, "_w"})
                for d, before in zip(walked.flow.dims[1:], flow.dims[1:], strict=True)
            ]
            out_flow = Flow((after, *rest))
        return Walked([Entry(None, template, step.stateful)], out_flow, resizes)

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
        dims = tuple(
            a if a == b else None for a, b in zip(then.flow.dims, orelse.flow.dims, strict=True)
        )
        resizes = _choose(test, then.resizes, orelse.resizes)
        return Walked(entries, Flow((width, *dims[1:])), resizes)

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


def _projects(n: Node) -> bool | None:
    return n.project is not None if isinstance(n, ResidualNode) else None


def _count(n: Node) -> int | None:
    return n.count if isinstance(n, RepeatNode) else None


def _in_size(axis: int, index: int = 0, by_id: dict[str, Value] | None = None) -> Any:
    """The size on `axis` of a node's input (`index` 0) or of another value it reads."""

    def get(n: Node) -> int:
        if index == 0 or by_id is None:
            return n.in_shape[axis]
        return by_id[n.inputs[index]].shape[axis]

    return get
