"""Expand a model's steps into IR nodes, inferring every shape and count.

A value (`archdsl.ir.Value`) flows from step to step; named values are kept
in the scope and read anywhere below. Errors never stop elaboration: the step
at fault is reported and its output becomes unknown (None). Later steps still
have their arguments checked, but their shape rules are skipped, so each root
cause is reported once.
"""

from __future__ import annotations

from archdsl.diagnostics import Diagnostic, Note, Span
from archdsl.elaborate.blocks import block_call
from archdsl.elaborate.budget import Budget, Frame
from archdsl.elaborate.composites import if_step, parallel, repeat, residual
from archdsl.elaborate.expr import Env, evaluate, require
from archdsl.elaborate.flow import Outs, join, outs_of, reads_flow, shape_of
from archdsl.elaborate.make_nodes import composite, reads
from archdsl.elaborate.names import Names
from archdsl.elaborate.op_args import bind, literal_form, validate
from archdsl.elaborate.static import StaticChecker
from archdsl.elaborate.values import POISON, EvalError, Poisoned, Ref, Value, show, type_name
from archdsl.ir import (
    GroupNode,
    Node,
    OpNode,
)
from archdsl.ir import Value as Tensor
from archdsl.ops import OPS, Op, ShapeError
from archdsl.ops.base import Measured, Operand
from archdsl.ops.shape_math import Shape, fmt_full, fmt_shape, full_shape
from archdsl.syntax import ast
from archdsl.syntax.limits import MAX_LAYERS

MERGES = "add, mul and concat"


def described(value: Tensor) -> str:
    """How a diagnostic names a value: `e1`, or the step that made it."""
    if value.name:
        return f"`{value.name}`"
    return "the model's input" if value.id.startswith("@") else f"the output of `{value.id}`"


def name_value(value: Tensor, name: str, scope: dict[str, Value]) -> None:
    """Give the IR's value the name it is given here (check, graph and ONNX show it),
    unless it has one in this scope already (`b = a` keeps `a`). A name from inside a
    block (its `output y`) gives way to the caller's, which the model's view uses."""
    if value.name is not None:
        bound = scope.get(value.name)
        if isinstance(bound, Ref) and bound.tensor is value:
            return
    value.name = name


class Elaborator(Budget):
    def __init__(self, blocks: dict[str, ast.BlockDef], static: StaticChecker):
        super().__init__()
        self.blocks = blocks
        self.static = static
        self.values: dict[str, Tensor] = {}
        self.consumed: set[str] = set()  # ids of values some node reads or an `output` gives
        self.names = Names()
        # Ops bound from literal arguments, by `literal_form`: the same arguments make
        # the same op wherever they are written, so each is bound and validated once.
        self.ops: dict[tuple[object, ...], Op] = {}
        # By literal form and the shape read: the op, and what it makes of that shape.
        self.known: dict[tuple[tuple[object, ...], Shape, bool], tuple[Op, Measured]] = {}

    # ---- values -------------------------------------------------------------------
    def make_value(self, id: str, shape: Shape, span: Span, batched: bool = True) -> Tensor:
        value = Tensor(id=id, shape=shape, batched=batched, span=span)
        self.values[id] = value
        return value

    def one(self, outs: Outs, step: ast.Step, frame: Frame) -> Tensor | None:
        """The single value a step passes on; a step that makes several must name them."""
        if outs is None:
            return None
        if len(outs) > 1:
            what = _what(step, self.blocks)
            names = ", ".join(f"v{i}" for i in range(len(outs)))
            self.report(
                Diagnostic(
                    "values",
                    f"{what} makes {len(outs)} values, and a chain passes on one",
                    step.span,
                    help=f"name them, e.g. `{names} = ...`, then use each by its name",
                ),
                frame,
            )
            return None
        return outs[0]

    def value_arg(
        self, call: ast.Call, expr: ast.Expr, scope: dict[str, Value], frame: Frame
    ) -> Ref | None:
        """The named value an argument of a merge gives, or None (reported)."""
        if not isinstance(expr, ast.Name):
            self.report(
                Diagnostic(
                    "type",
                    f"`{call.name}` joins named values, one name per argument",
                    expr.span,
                    help=f"name the value first: `v = ...`, then `{call.name}(v, ...)`",
                ),
                frame,
            )
            return None
        return self.lookup(expr.id, expr.span, scope, frame)

    def lookup(self, name: str, span: Span, scope: dict[str, Value], frame: Frame) -> Ref | None:
        """The value `name` names here, marked used; None (reported) when it names none."""
        bound = scope.get(name)
        if bound is POISON:
            return None
        if bound is None:
            self.report(self.names.undefined(name, span, scope), frame)
            return None
        if not isinstance(bound, Ref):
            self.report(
                Diagnostic(
                    "type",
                    f"`{name}` is {type_name(bound)} ({show(bound)}), not a value",
                    span,
                    help="a value is made by a step (`x = conv(...)`) or passed to a block",
                ),
                frame,
            )
            return None
        bound.used = True
        return bound

    # ---- sequences ----------------------------------------------------------------
    def seq(
        self,
        stmts: tuple[ast.Stmt, ...],
        flow: Tensor | None,
        scope: dict[str, Value],
        out: list[Node],
        prefix: str,
        frame: Frame,
        gives_end: bool = True,
    ) -> Tensor | None:
        """Elaborate statements in order, appending nodes to `out`; the value flowing out
        (`gives_end`: the body's last value is its result, not an `output` line's)."""
        self.names.enter(stmts)
        # The last `a, b = ...` while no step has made a value since: none flows on.
        named: ast.Assign | None = None
        try:
            for stmt in stmts:
                if named is not None and reads_flow(stmt, self.blocks):
                    self.report(_no_flow(named, stmt), frame)
                    named = None  # reported once; the flow stays unknown
                if isinstance(stmt, ast.Chain):
                    outs = self.chain(stmt, flow, scope, out, prefix, frame)
                    flow = self.one(outs, stmt.steps[-1], frame)
                    named = None
                elif isinstance(stmt, ast.Assign):
                    flow = self.assign(stmt, flow, scope, out, prefix, frame)
                    named = stmt if len(stmt.names) > 1 else None
                    flow = None if named is not None else flow
                elif isinstance(stmt, ast.Let):
                    self.let(stmt, flow, scope, frame)
                else:
                    self.misplaced(stmt, frame)
            if named is not None and gives_end:
                self.report(_no_flow(named, None), frame)
        finally:
            self.names.leave()
        return flow

    def let(
        self, stmt: ast.Let, flow: Tensor | None, scope: dict[str, Value], frame: Frame
    ) -> None:
        taken = self.names.rebound(stmt.name, stmt.name_span, scope)
        if taken is not None:
            self.report(taken, frame)
        self.names.noted(stmt.name, stmt.name_span, "a number bound by `let`")
        try:
            scope[stmt.name] = require(
                evaluate(stmt.value, Env(scope, shape_of(flow))), stmt.value.span, Env(scope)
            )
        except EvalError as err:
            self.report(err.diagnostic, frame)
            scope[stmt.name] = POISON
        except Poisoned:
            scope[stmt.name] = POISON

    def misplaced(self, stmt: ast.Stmt, frame: Frame) -> None:
        if isinstance(stmt, ast.OutputStmt):
            message = "`output` belongs at the top of a model or block"
            help = "move it into the model's or block's own body"
        else:
            keyword = "expect" if isinstance(stmt, ast.ExpectStmt) else "input"
            message = f"`{keyword}` belongs at the top of a model"
            help = "move it into the model's body, before its steps"
            if isinstance(stmt, ast.NamedInput) and stmt.shape is None:
                message = "`input` belongs at the top of a model or block"
        self.report(Diagnostic("placement", message, stmt.span, help=help), frame)

    def assign(
        self,
        stmt: ast.Assign,
        flow: Tensor | None,
        scope: dict[str, Value],
        out: list[Node],
        prefix: str,
        frame: Frame,
    ) -> Tensor | None:
        """`a = chain` or `a, b = step`: name the values the chain ends with."""
        self.names.start(stmt)
        try:
            outs = self.chain(stmt.chain, flow, scope, out, prefix, frame)
        finally:
            self.names.done()
        count = len(stmt.names)
        if outs is not None and len(outs) != count:
            what = _what(stmt.chain.steps[-1], self.blocks)
            self.report(
                Diagnostic(
                    "values",
                    f"{what} makes {len(outs)} value{'s' if len(outs) > 1 else ''}, "
                    f"but {count} name{'s are' if count > 1 else ' is'} given",
                    stmt.name_spans[0].to(stmt.name_spans[-1]),
                    help=_more(stmt.chain.steps[-1], len(outs))
                    or "give one name per value; `_` discards one",
                ),
                frame,
            )
            outs = None
        for i, (name, span) in enumerate(zip(stmt.names, stmt.name_spans, strict=True)):
            if name == "_":
                continue
            taken = self.names.rebound(name, span, scope)
            if taken is not None:
                self.report(taken, frame)
            tensor = outs[i] if outs is not None else None
            if tensor is not None:
                name_value(tensor, name, scope)
            self.names.give(scope, Ref(name, tensor, span))
        return outs[0] if outs is not None else None

    def chain(
        self,
        chain: ast.Chain,
        flow: Tensor | None,
        scope: dict[str, Value],
        out: list[Node],
        prefix: str,
        frame: Frame,
    ) -> Outs:
        if chain.label is None:
            outs: Outs = None if flow is None else (flow,)
            for i, step in enumerate(chain.steps):
                if i:
                    flow = self.one(outs, chain.steps[i - 1], frame)
                outs = self.step(step, flow, scope, out, prefix, frame)
            return outs
        label = chain.label
        first = next((n for n in out if n.name == label), None)
        if first is not None:
            self.report(
                Diagnostic(
                    "duplicate",
                    f"label `{label}` is used twice in this body",
                    chain.label_span,
                    notes=(Note(f"the first `{label}` labels the step", first.span),),
                    help="give each step of a body its own label",
                ),
                frame,
            )
            # The label is wrong, not the steps: check them on, so later errors still show.
            return self.chain(chain._replace(label=None), flow, scope, out, prefix, frame)
        single = chain.steps[0] if len(chain.steps) == 1 else None
        if isinstance(single, ast.Call | ast.Residual | ast.Parallel | ast.Repeat):
            outs = self.step(single, flow, scope, out, prefix, frame, name=label)
        else:
            inner: list[Node] = []
            path = join(prefix, label)
            start = flow
            nested = self.nested(frame, 1, chain.label_span or chain.span)
            unlabelled = chain._replace(label=None)
            outs = self.chain(unlabelled, flow, scope, inner, path, nested)
            if start is None or outs is None:
                return None
            out.append(self.group(label, path, chain.span, start, outs, inner))
        self.label_value(label, chain, outs, scope)
        return outs

    def label_value(
        self, label: str, chain: ast.Chain, outs: Outs, scope: dict[str, Value]
    ) -> None:
        """A label also names its step's value, where the name is free."""
        if outs is None or len(outs) != 1 or label in scope or label in OPS:
            return
        if label in self.blocks:
            return
        span = chain.label_span or chain.span
        name_value(outs[0], label, scope)
        self.names.give(scope, Ref(label, outs[0], span, warn=False), "a labelled step's value")

    @staticmethod
    def group(
        name: str,
        path: str,
        span: Span,
        start: Tensor,
        outs: tuple[Tensor, ...],
        children: list[Node],
    ) -> GroupNode:
        return composite(
            GroupNode,
            children,
            name=name,
            path=path,
            span=span,
            in_shape=start.shape,
            out_shape=outs[0].shape,
            inputs=reads(start, children, outs),
            outputs=[o.id for o in outs],
            children=children,
        )

    # ---- steps ----------------------------------------------------------------------
    def step(
        self,
        step: ast.Step,
        flow: Tensor | None,
        scope: dict[str, Value],
        out: list[Node],
        prefix: str,
        frame: Frame,
        name: str | None = None,
    ) -> Outs:
        name = name if name is not None else str(len(out))
        self.count_steps(1, step.span, frame)
        if isinstance(step, ast.Call) and step.name in OPS:
            return self.op_call(step, flow, scope, out, join(prefix, name), name, frame)
        if isinstance(step, ast.Call) and step.name not in self.blocks:
            return self.value_step(step, scope, frame)
        layers = self.layers
        end = self.composite_step(step, flow, scope, out, prefix, frame, name)
        if self.layers == layers:
            self.count_idle(step.span, frame)
        return end

    def value_step(self, call: ast.Call, scope: dict[str, Value], frame: Frame) -> Outs:
        """A value's name as a step (`e1 -> conv(...)`): that value flows on."""
        if call.name not in scope and call.name not in self.static.value_names:
            return None  # an unknown op or block: reported by the static pass
        ref = self.lookup(call.name, call.name_span, scope, frame)
        if ref is None:
            return None
        if call.span != call.name_span:
            self.report(
                Diagnostic(
                    "type",
                    f"`{call.name}` is a value, not an op: it takes no arguments",
                    call.span,
                    help=f"write `{call.name}` alone to continue from it",
                ),
                frame,
            )
            return None
        return None if ref.tensor is None else (ref.tensor,)

    def composite_step(
        self,
        step: ast.Step,
        flow: Tensor | None,
        scope: dict[str, Value],
        out: list[Node],
        prefix: str,
        frame: Frame,
        name: str,
    ) -> Outs:
        if isinstance(step, ast.Call):
            return block_call(self, step, flow, scope, out, join(prefix, name), name, frame)
        if isinstance(step, ast.Residual):
            return residual(self, step, flow, scope, out, join(prefix, name), name, frame)
        if isinstance(step, ast.Parallel):
            return parallel(self, step, flow, scope, out, join(prefix, name), name, frame)
        if isinstance(step, ast.Repeat):
            return repeat(self, step, flow, scope, out, join(prefix, name), name, frame)
        if isinstance(step, ast.If):
            return if_step(self, step, flow, scope, out, prefix, frame)
        return outs_of(self.seq(step.body.stmts, flow, dict(scope), out, prefix, frame))

    def op_call(
        self,
        call: ast.Call,
        flow: Tensor | None,
        scope: dict[str, Value],
        out: list[Node],
        path: str,
        name: str,
        frame: Frame,
    ) -> Outs:
        cls = OPS[call.name]
        joins = cls.takes_values()
        # A merge's positional arguments are the values it joins, not its fields.
        fields = call
        if joins:
            fields = call._replace(args=tuple(a for a in call.args if a.name is not None))
        form = literal_form(fields)
        # Literal arguments on a value of a shape met before: the same op, the same
        # outputs and counts (most layers of a large model), nothing to check again.
        known = None
        if form is not None and flow is not None and not joins:
            known = (form, flow.shape, flow.batched)
            layer = self.known.get(known)
            if layer is not None:
                read = [flow] if cls.arity[0] else []  # an op of no input reads none
                return self.add_layer(*layer, read, call, path, name, out, frame)
        op = self.ops.get(form) if form is not None else None
        bound = None
        if op is None:
            errors: list[Diagnostic] = []
            bound = bind(cls, fields, Env(scope, shape_of(flow)), errors)
            if bound is not None:
                op, errors = validate(cls, fields, bound)
            for diag in errors:
                self.report(diag, frame)
            if op is not None and form is not None:
                self.ops[form] = op
        inputs = self.op_inputs(cls, call, flow, scope, frame)
        if op is None or inputs is None:
            return None
        try:
            measured = op.measure([Operand(v.shape, v.batched) for v in inputs])
        except ShapeError as err:
            span = call.span
            if err.arg:  # the argument at fault, bound again where the op was remembered
                bound = bound or bind(cls, fields, Env(scope, shape_of(flow)), [])
                span = bound.spans.get(err.arg, span) if bound else span
            self.shape_error(op, err, call, span, inputs, frame)
            return None
        for shape in measured.shapes:
            if shape and min(shape) < 1:
                self.report(
                    Diagnostic(
                        "shape",
                        f"{op.summary()} gives an empty output {fmt_shape(shape)}",
                        call.span,
                        help="start from a larger input or downsample less",
                    ),
                    frame,
                    inputs[0].shape if inputs else None,
                )
                return None
        if known is not None:
            self.known[known] = (op, measured)
        return self.add_layer(op, measured, inputs, call, path, name, out, frame)

    def add_layer(
        self,
        op: Op,
        measured: Measured,
        inputs: list[Tensor],
        call: ast.Call,
        path: str,
        name: str,
        out: list[Node],
        frame: Frame,
    ) -> Outs:
        """The checked layer's node, appended to `out`, and the values it makes."""
        self.layers += 1
        if self.layers > MAX_LAYERS:
            self.refuse(
                f"the model expands to more than {MAX_LAYERS:,} layers",
                call.span,
                frame,
            )
        shapes = measured.shapes
        batched = any([v.batched for v in inputs])
        first = self.make_value(path, shapes[0], call.span, batched)
        outs: tuple[Tensor, ...] = (first,)
        if len(shapes) > 1:  # further outputs: `path#1`, `path#2`
            outs += tuple(
                [
                    self.make_value(f"{path}#{i}", s, call.span, batched)
                    for i, s in enumerate(shapes[1:], 1)
                ]
            )
        read = [v.id for v in inputs]
        self.consumed.update(read)
        out.append(
            OpNode(
                name=name,
                path=path,
                span=call.span,
                in_shape=inputs[0].shape if inputs else (),
                out_shape=shapes[0],
                params=measured.params,
                buffers=measured.buffers,
                macs=measured.macs,
                inputs=read,
                outputs=[v.id for v in outs],
                attention_macs=measured.attention_macs,
                op=op,
            )
        )
        return outs

    def op_inputs(
        self,
        cls: type[Op],
        call: ast.Call,
        flow: Tensor | None,
        scope: dict[str, Value],
        frame: Frame,
    ) -> list[Tensor] | None:
        """The values an op reads: the flowing one, the ones a merge names, or none."""
        fewest, most = cls.arity
        if not cls.takes_values():
            if fewest == 0:
                return []
            if flow is None:
                return None
            if not flow.batched:
                self.report(
                    Diagnostic(
                        "shared",
                        f"`{call.name}` cannot take {described(flow)}: it is one tensor "
                        "shared by every sample (a `param`)",
                        call.name_span,
                        notes=(Note(f"{described(flow)} is made", flow.span),),
                        help=f"shared values only feed merges ({MERGES}); "
                        "continue from a value of the batch by its name",
                    ),
                    frame,
                )
                return None
            return [flow]
        args = [a for a in call.args if a.name is None]
        if len(args) < fewest or (most is not None and len(args) > most):
            self.report(
                Diagnostic(
                    "arity",
                    f"`{call.name}` joins {fewest} or more values, got {len(args)}",
                    call.span,
                    help=f"name each value it joins: `{call.name}(a, b)`; "
                    "the value flowing in is not one of them",
                ),
                frame,
            )
            return None
        refs = [self.value_arg(call, a.value, scope, frame) for a in args]
        found = [r.tensor for r in refs if r is not None and r.tensor is not None]
        return found if len(found) == len(args) else None

    def shape_error(
        self,
        op: Op,
        err: ShapeError,
        call: ast.Call,
        span: Span,
        inputs: list[Tensor],
        frame: Frame,
    ) -> None:
        if not op.takes_values():
            shape = inputs[0].shape if inputs else None
            # The note on the incoming shape, unless the message already gives it.
            seen = shape if shape is not None and fmt_shape(shape) not in err.message else None
            self.report(
                Diagnostic("shape", f"{op.summary()} {err.message}", span, help=err.help),
                frame,
                seen,
            )
            return
        names = [a.value for a in call.args if a.name is None]
        written = ", ".join(n.id if isinstance(n, ast.Name) else "?" for n in names)
        notes = tuple(
            Note(f"{described(v)} is {fmt_full(full_shape(v.shape, v.batched))}, made", v.span)
            for v in inputs
        )
        self.report(
            Diagnostic(
                "shape",
                f"`{call.name}({written})` {err.message}",
                span,
                notes=notes,
                help=err.help,
            ),
            frame,
        )


def _no_flow(named: ast.Assign, stmt: ast.Stmt | None) -> Diagnostic:
    """A step, or the end of a body (`stmt` None), reading the value flowing in after
    `a, b = ...`: that names each value it makes and passes none on."""
    names = ", ".join(named.names)
    start = next((n for n in named.names if n != "_"), None)
    if start is None:  # every value discarded: say how to keep one
        names_one = ", ".join(["a", *named.names[1:]])
        return Diagnostic(
            "values",
            f"no value flows here: `{names} = ...` discards every value it makes",
            named.span if stmt is None else _first_span(stmt),
            help=f"name the one to continue from, `{names_one} = ...`, then start from it: "
            "`a -> ...`",
        )
    note = Note(f"`{names} = ...` names each value it makes", named.span)
    if stmt is None:
        return Diagnostic(
            "values",
            "the body ends after naming several values, so it gives none of them out",
            named.span,
            help=f"end with the value to give out: `{start}`, or list them: `output {names}`",
        )
    if isinstance(stmt, ast.Let):  # reading `in.*`
        help = f"read a named value's shape instead, e.g. `{start}.channels`"
    else:
        help = f"start from a value by its name, e.g. `{start} -> ...`"
    return Diagnostic(
        "values",
        f"no value flows here: `{names} = ...` passes none on",
        _first_span(stmt),
        notes=(note,),
        help=help,
    )


def _first_span(stmt: ast.Stmt) -> Span:
    """Where a statement starts reading: its first step, or the whole `let`."""
    if isinstance(stmt, ast.Chain | ast.Assign):
        return (stmt.chain if isinstance(stmt, ast.Assign) else stmt).steps[0].span
    return stmt.span


def _more(step: ast.Step, made: int) -> str:
    """How the op that made one value could make more, if it can (`gru(..., state=true)`)."""
    if made == 1 and isinstance(step, ast.Call) and step.name in OPS:
        return OPS[step.name].more
    return ""


def _what(step: ast.Step, blocks: dict[str, ast.BlockDef]) -> str:
    """How a diagnostic names a step that makes values: `chunk` or block `heads`."""
    if isinstance(step, ast.Call):
        return f"block `{step.name}`" if step.name in blocks else f"`{step.name}`"
    return "this step"
