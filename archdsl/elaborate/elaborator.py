"""Expand a model's steps into IR nodes, inferring every shape and count.

Errors never stop elaboration: the step at fault is reported and its output
shape becomes unknown (None). Later steps still have their arguments checked,
but their shape rules are skipped, so each root cause is reported once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NoReturn

from archdsl.diagnostics import Diagnostic, Note, Span
from archdsl.elaborate.expr import DIVISION_HINT, Env, divides, evaluate, require
from archdsl.elaborate.make_nodes import call_text, composite, plain
from archdsl.elaborate.merge import merge_shapes
from archdsl.elaborate.op_args import bind, validate
from archdsl.elaborate.static import StaticChecker
from archdsl.elaborate.values import POISON, EvalError, Poisoned, Value, show
from archdsl.ir import (
    BlockNode,
    GroupNode,
    Node,
    OpNode,
    ParallelNode,
    RepeatNode,
    ResidualNode,
)
from archdsl.ops import OPS, ShapeError
from archdsl.ops.shape_math import Shape, fmt_shape
from archdsl.syntax import ast
from archdsl.syntax.limits import MAX_IDLE_STEPS, MAX_LAYERS, MAX_NODE_DEPTH, MAX_STEPS


class LimitExceeded(Exception):
    """The model would pass MAX_LAYERS, MAX_STEPS or MAX_NODE_DEPTH; elaboration stops."""


@dataclass(frozen=True, slots=True)
class Frame:
    """Where elaboration is: the block calls (and later repeat copies) above, as notes
    for diagnostics, and how many copies repeats make."""

    chain: tuple[tuple[str, Span], ...] = ()
    copies: int = 1
    depth: int = 1  # IR nodes around the steps here; the model's root is one


def join(prefix: str, name: str) -> str:
    return f"{prefix}.{name}" if prefix else name


class Elaborator:
    def __init__(self, blocks: dict[str, ast.BlockDef], static: StaticChecker):
        self.blocks = blocks
        self.static = static
        self.diagnostics: list[Diagnostic] = []
        self._seen: set[tuple[str, str, Span | None]] = set()
        self.layers = 0
        self.steps = 0
        self.idle_steps = 0

    # ---- reporting --------------------------------------------------------------
    def report(self, diag: Diagnostic, frame: Frame, shape: Shape | None = None) -> None:
        key = (diag.code, diag.message, diag.span)
        if key in self._seen:
            return
        self._seen.add(key)
        notes: list[Note] = []
        if shape is not None:
            notes.append(Note(f"the input here is {fmt_shape(shape)}"))
        for where, span in reversed(frame.chain):
            notes.append(Note(where, span))
        self.diagnostics.append(diag.with_notes(*notes) if notes else diag)

    def refuse(self, message: str, span: Span, frame: Frame, help: str | None = None) -> NoReturn:
        """Report a limit the model passes, and stop elaborating it."""
        self.report(Diagnostic("limit", message, span, help=help), frame)
        raise LimitExceeded()

    # ---- sequences ----------------------------------------------------------------
    def seq(
        self,
        stmts: tuple[ast.Stmt, ...],
        shape: Shape | None,
        scope: dict[str, Value],
        out: list[Node],
        prefix: str,
        frame: Frame,
    ) -> Shape | None:
        """Elaborate statements in order, appending nodes to `out`; the final shape."""
        for stmt in stmts:
            if isinstance(stmt, ast.Chain):
                shape = self.chain(stmt, shape, scope, out, prefix, frame)
            elif isinstance(stmt, ast.Let):
                try:
                    scope[stmt.name] = require(
                        evaluate(stmt.value, Env(scope, shape)), stmt.value.span, Env(scope)
                    )
                except EvalError as err:
                    self.report(err.diagnostic, frame)
                    scope[stmt.name] = POISON
                except Poisoned:
                    scope[stmt.name] = POISON
            else:
                keyword = "input" if isinstance(stmt, ast.InputStmt) else "expect"
                self.report(
                    Diagnostic(
                        "placement",
                        f"`{keyword}` belongs at the top of a model",
                        stmt.span,
                        help="move it into the model's body, before its steps",
                    ),
                    frame,
                )
        return shape

    def chain(
        self,
        chain: ast.Chain,
        shape: Shape | None,
        scope: dict[str, Value],
        out: list[Node],
        prefix: str,
        frame: Frame,
    ) -> Shape | None:
        if chain.label is None:
            for step in chain.steps:
                shape = self.step(step, shape, scope, out, prefix, frame)
            return shape
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
            return self.chain(chain._replace(label=None), shape, scope, out, prefix, frame)
        single = chain.steps[0] if len(chain.steps) == 1 else None
        if isinstance(single, ast.Call | ast.Residual | ast.Parallel | ast.Repeat):
            return self.step(single, shape, scope, out, prefix, frame, name=label)
        inner: list[Node] = []
        path = join(prefix, label)
        start = shape
        frame = self.nested(frame, 1, chain.label_span or chain.span)
        for step in chain.steps:
            shape = self.step(step, shape, scope, inner, path, frame)
        if start is None or shape is None:
            return None
        out.append(self.group(label, path, chain.span, start, shape, inner))
        return shape

    @staticmethod
    def group(
        name: str, path: str, span: Span, start: Shape, end: Shape, children: list[Node]
    ) -> GroupNode:
        return composite(
            GroupNode,
            children,
            name=name,
            path=path,
            span=span,
            in_shape=start,
            out_shape=end,
            children=children,
        )

    # ---- steps ----------------------------------------------------------------------
    def step(
        self,
        step: ast.Step,
        shape: Shape | None,
        scope: dict[str, Value],
        out: list[Node],
        prefix: str,
        frame: Frame,
        name: str | None = None,
    ) -> Shape | None:
        name = name if name is not None else str(len(out))
        self.count_steps(1, step.span, frame)
        if isinstance(step, ast.Call) and step.name in OPS:
            return self.op_call(step, shape, scope, out, join(prefix, name), name, frame)
        layers = self.layers
        end = self.composite_step(step, shape, scope, out, prefix, frame, name)
        if self.layers == layers:
            self.count_idle(step.span, frame)
        return end

    def composite_step(
        self,
        step: ast.Step,
        shape: Shape | None,
        scope: dict[str, Value],
        out: list[Node],
        prefix: str,
        frame: Frame,
        name: str,
    ) -> Shape | None:
        if isinstance(step, ast.Call):
            if step.name in self.blocks:
                return self.block_call(step, shape, scope, out, join(prefix, name), name, frame)
            return None  # reported by the static pass
        if isinstance(step, ast.Residual):
            return self.residual(step, shape, scope, out, join(prefix, name), name, frame)
        if isinstance(step, ast.Parallel):
            return self.parallel(step, shape, scope, out, join(prefix, name), name, frame)
        if isinstance(step, ast.Repeat):
            return self.repeat(step, shape, scope, out, join(prefix, name), name, frame)
        if isinstance(step, ast.If):
            return self.if_step(step, shape, scope, out, prefix, frame)
        return self.seq(step.body.stmts, shape, dict(scope), out, prefix, frame)

    def op_call(
        self,
        call: ast.Call,
        shape: Shape | None,
        scope: dict[str, Value],
        out: list[Node],
        path: str,
        name: str,
        frame: Frame,
    ) -> Shape | None:
        cls = OPS[call.name]
        errors: list[Diagnostic] = []
        bound = bind(cls, call, Env(scope, shape), errors)
        op = None
        if bound is not None:
            op, errors = validate(cls, call, bound)
        for diag in errors:
            self.report(diag, frame)
        if op is None or shape is None:
            return None
        try:
            out_shape = op.output_shape(shape)
        except ShapeError as err:
            span = bound.spans.get(err.arg, call.span) if bound and err.arg else call.span
            # The note on the incoming shape, unless the message already gives it.
            seen = shape if fmt_shape(shape) not in err.message else None
            self.report(
                Diagnostic("shape", f"{op.summary()} {err.message}", span, help=err.help),
                frame,
                seen,
            )
            return None
        if min(out_shape) < 1:
            self.report(
                Diagnostic(
                    "shape",
                    f"{op.summary()} gives an empty output {fmt_shape(out_shape)}",
                    call.span,
                    help="start from a larger input or downsample less",
                ),
                frame,
                shape,
            )
            return None
        self.layers += 1
        if self.layers > MAX_LAYERS:
            self.refuse(
                f"the model expands to more than {MAX_LAYERS:,} layers",
                call.span,
                frame,
            )
        out.append(
            OpNode.model_construct(
                kind="op",
                name=name,
                path=path,
                span=call.span,
                in_shape=shape,
                out_shape=out_shape,
                params=op.params(shape),
                buffers=op.buffers(shape),
                macs=op.macs(shape, out_shape),
                attention_macs=op.attention_macs(shape, out_shape),
                op=op,
            )
        )
        return out_shape

    def block_call(
        self,
        call: ast.Call,
        shape: Shape | None,
        scope: dict[str, Value],
        out: list[Node],
        path: str,
        name: str,
        frame: Frame,
    ) -> Shape | None:
        block = self.blocks[call.name]
        if call.name in self.static.recursive or self.static.too_deep:
            return None  # reported by the static pass
        self.within_limit(self.static.min_sizes.get(call.name, 0) * frame.copies, call.span, frame)
        steps = self.static.min_block_steps.get(call.name, 0) * frame.copies
        self.count_steps(steps, call.span, frame, ahead=True)
        inner_scope = self.bind_block(block, call, Env(scope, shape), frame)
        if inner_scope is None:
            return None
        children: list[Node] = []
        inner = replace(
            self.nested(frame, 1, call.span),
            chain=(*frame.chain, (f"in block `{call.name}` called", call.span)),
        )
        end = self.seq(block.body.stmts, shape, inner_scope, children, path, inner)
        if shape is None or end is None:
            return None
        args = {p.name: plain(inner_scope[p.name]) for p in block.params}
        out.append(
            composite(
                BlockNode,
                children,
                call=call_text(call, block, inner_scope),
                name=name,
                path=path,
                span=call.span,
                in_shape=shape,
                out_shape=end,
                block=call.name,
                args=args,
                children=children,
            )
        )
        return end

    def bind_block(
        self, block: ast.BlockDef, call: ast.Call, env: Env, frame: Frame
    ) -> dict[str, Value] | None:
        """The block's scope: its parameters bound to the call's arguments or defaults."""
        params = [p.name for p in block.params]
        given: dict[str, Value] = {}
        ok = True
        for i, arg in enumerate(call.args):
            key = arg.name if arg.name is not None else (params[i] if i < len(params) else None)
            if key is None or key not in params or key in given:
                return None  # reported by the static pass
            try:
                given[key] = evaluate(arg.value, env)
            except EvalError as err:
                self.report(err.diagnostic, frame)
                ok = False
            except Poisoned:
                ok = False
        if not ok:
            return None
        scope: dict[str, Value] = {}
        for param in block.params:
            if param.name in given:
                scope[param.name] = given[param.name]
            elif param.default is not None:
                try:
                    scope[param.name] = evaluate(param.default, Env(dict(scope), env.shape))
                except EvalError as err:
                    self.report(err.diagnostic, frame)
                    return None
                except Poisoned:
                    return None
            else:
                self.report(
                    Diagnostic(
                        "arity",
                        f"block `{block.name}` needs `{param.name}`",
                        call.span,
                        notes=(Note(f"block `{block.name}` defined", block.name_span),),
                        help=f"usage: {block.name}({', '.join(params)})",
                    ),
                    frame,
                )
                return None
        return scope

    def within_limit(self, total: int, span: Span, frame: Frame) -> None:
        """Refuse, before expanding anything, what would make over MAX_LAYERS copies."""
        if total <= MAX_LAYERS:
            return
        self.refuse(
            f"this expands to at least {total:,} layers; the limit is {MAX_LAYERS:,}",
            span,
            frame,
            help="a model this large cannot be built; check the repeat counts",
        )

    def nested(self, frame: Frame, levels: int, span: Span) -> Frame:
        """The frame `levels` IR nodes further in; past MAX_NODE_DEPTH, stop.

        A tree deeper than that could not be written as JSON and read back
        (parsers stop near 200 levels), nor walked by recursive code such as
        torch's module traversal.
        """
        inner = replace(frame, depth=frame.depth + levels)
        if inner.depth <= MAX_NODE_DEPTH:
            return inner
        self.refuse(
            f"blocks, repeats, residuals, branches and labelled groups nest more than "
            f"{MAX_NODE_DEPTH} deep here",
            span,
            frame,
            help="flatten some of the nesting into sequences",
        )

    def count_steps(self, n: int, span: Span, frame: Frame, ahead: bool = False) -> None:
        """Charge `n` steps to the model against MAX_STEPS, or, `ahead`, refuse a
        lower bound `n` on what a step is about to expand to that alone passes it.

        Layers alone do not bound the work: steps that expand to nothing, such as
        a false `if` in a block that calls the next twice, would run unchecked.
        """
        if (n if ahead else self.steps + n) <= MAX_STEPS:
            if not ahead:
                self.steps += n
            return
        self.refuse(
            f"the model takes more than {MAX_STEPS:,} steps to expand, "
            "even if few of them are layers",
            span,
            frame,
            help="check the repeat counts and the blocks each block calls",
        )

    def count_idle(self, span: Span, frame: Frame) -> None:
        """Charge a step that made no layer against MAX_IDLE_STEPS (plus one per layer).

        Such steps would otherwise run up to MAX_STEPS, seconds of work, before
        a block tree that doubles at each level into nothing was refused.
        """
        self.idle_steps += 1
        if self.idle_steps <= MAX_IDLE_STEPS + self.layers:
            return
        self.refuse(
            f"more than {MAX_IDLE_STEPS:,} steps of the model expand to no layer",
            span,
            frame,
            help="check the `if` conditions, the repeat counts and the blocks each block calls",
        )

    # ---- composites ---------------------------------------------------------------
    def residual(
        self,
        res: ast.Residual,
        shape: Shape | None,
        scope: dict[str, Value],
        out: list[Node],
        path: str,
        name: str,
        frame: Frame,
    ) -> Shape | None:
        body_nodes: list[Node] = []
        body_path = join(path, "body")
        frame = self.nested(frame, 2, res.keyword_span)  # the residual, then its body or project
        end = self.seq(res.body.stmts, shape, dict(scope), body_nodes, body_path, frame)
        if shape is None or end is None:
            return None
        body = self.group("body", body_path, res.body.span, shape, end, body_nodes)
        project = None
        if end != shape:
            if res.project is None:
                self.report(
                    Diagnostic(
                        "shape",
                        f"the residual body changes the shape from {fmt_shape(shape)} to "
                        f"{fmt_shape(end)}, and there is no `project` for the shortcut",
                        res.keyword_span,
                        help="add `project { ... }` after the body to map the input to "
                        f"{fmt_shape(end)}",
                    ),
                    frame,
                )
                return None
            proj_nodes: list[Node] = []
            proj_path = join(path, "project")
            proj_end = self.seq(res.project.stmts, shape, dict(scope), proj_nodes, proj_path, frame)
            if proj_end is None:
                return None
            if proj_end != end:
                self.report(
                    Diagnostic(
                        "shape",
                        f"the projection gives {fmt_shape(proj_end)} but the residual body "
                        f"gives {fmt_shape(end)}",
                        _last_chain(res.project),
                        help="make the projection's output match the body's",
                    ),
                    frame,
                    shape,
                )
                return None
            project = self.group("project", proj_path, res.project.span, shape, end, proj_nodes)
        parts = [body] if project is None else [body, project]
        out.append(
            composite(
                ResidualNode,
                parts,
                name=name,
                path=path,
                span=res.span,
                in_shape=shape,
                out_shape=end,
                body=body,
                project=project,
            )
        )
        return end

    def parallel(
        self,
        par: ast.Parallel,
        shape: Shape | None,
        scope: dict[str, Value],
        out: list[Node],
        path: str,
        name: str,
        frame: Frame,
    ) -> Shape | None:
        branches: list[GroupNode] = []
        ends: list[Shape | None] = []
        frame = self.nested(frame, 2, par.keyword_span)  # the merge, then each branch
        for i, branch in enumerate(par.branches):
            nodes: list[Node] = []
            bpath = join(path, str(i))
            end = self.seq(branch.stmts, shape, dict(scope), nodes, bpath, frame)
            ends.append(end)
            if shape is not None and end is not None:
                branches.append(self.group(str(i), bpath, branch.span, shape, end, nodes))
        if shape is None or any(e is None for e in ends):
            return None
        shapes: list[Shape] = [e for e in ends if e is not None]
        merged, problem = merge_shapes(par, shapes)
        if problem is not None:
            self.report(problem, frame)
        if merged is None:
            return None
        out.append(
            composite(
                ParallelNode,
                branches,
                name=name,
                path=path,
                span=par.span,
                in_shape=shape,
                out_shape=merged,
                merge=par.merge,
                children=branches,
            )
        )
        return merged

    def repeat(
        self,
        rep: ast.Repeat,
        shape: Shape | None,
        scope: dict[str, Value],
        out: list[Node],
        path: str,
        name: str,
        frame: Frame,
    ) -> Shape | None:
        try:
            count = require(evaluate(rep.times, Env(scope, shape)), rep.times.span, Env(scope))
        except EvalError as err:
            self.report(err.diagnostic, frame)
            return None
        except Poisoned:
            return None
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            whole = isinstance(count, int) and not isinstance(count, bool)
            wanted = "0 or more copies" if whole else "a whole number of copies"
            self.report(
                Diagnostic(
                    "argument",
                    f"`repeat` needs {wanted}, got {show(count)}",
                    rep.times.span,
                    help=DIVISION_HINT if isinstance(count, float) and divides(rep.times) else None,
                ),
                frame,
            )
            return None
        copies = frame.copies * count
        size = max(1, self.static.min_step_size(rep.body))
        self.within_limit(size * copies, rep.times.span, frame)
        # Copies that expand to nothing still cost work: refuse them before the loop.
        steps = copies * self.static.min_step_steps(rep.body)
        self.count_steps(steps, rep.times.span, frame, ahead=True)
        start = shape
        children: list[Node] = []
        levels = 2 if isinstance(rep.body, ast.Group) else 1  # the repeat, and each copy's group
        frame = replace(self.nested(frame, levels, rep.keyword_span), copies=copies)
        for i in range(count):
            # An error first met in a later copy says which: the copies before it fit.
            where = (f"in copy {i + 1} of {count} of the `repeat`", rep.keyword_span)
            inner = replace(frame, chain=(*frame.chain, where)) if i else frame
            iter_scope = dict(scope)
            if rep.var is not None:
                iter_scope[rep.var] = i
            if isinstance(rep.body, ast.Group):
                nodes: list[Node] = []
                ipath = join(path, str(i))
                end = self.seq(rep.body.body.stmts, shape, iter_scope, nodes, ipath, inner)
                if shape is not None and end is not None:
                    children.append(self.group(str(i), ipath, rep.body.span, shape, end, nodes))
                shape = end
            else:
                shape = self.step(rep.body, shape, iter_scope, children, path, inner, str(i))
        if start is None or shape is None:
            return None
        out.append(
            composite(
                RepeatNode,
                children,
                name=name,
                path=path,
                span=rep.span,
                in_shape=start,
                out_shape=shape,
                count=count,
                children=children,
            )
        )
        return shape

    def if_step(
        self,
        step: ast.If,
        shape: Shape | None,
        scope: dict[str, Value],
        out: list[Node],
        prefix: str,
        frame: Frame,
    ) -> Shape | None:
        # An `else if` chain is walked in a loop: it may be thousands long, and
        # braces reset the post-lexer's bound on nesting.
        chosen: ast.Body | ast.If | None = step
        while isinstance(chosen, ast.If):
            try:
                env = Env(scope, shape)
                cond = require(evaluate(chosen.cond, env), chosen.cond.span, Env(scope))
            except EvalError as err:
                self.report(err.diagnostic, frame)
                return None
            except Poisoned:
                return None
            if not isinstance(cond, bool):
                self.report(
                    Diagnostic(
                        "type",
                        f"`if` needs true or false, got {show(cond)}",
                        chosen.cond.span,
                        help="compare the value, e.g. `if stride == 2`",
                    ),
                    frame,
                )
                return None
            chosen = chosen.then if cond else chosen.orelse
        if chosen is None:
            return shape
        return self.seq(chosen.stmts, shape, dict(scope), out, prefix, frame)


def _last_chain(body: ast.Body) -> Span:
    """Where a body's output shape is made: its last chain (the body if it has none)."""
    chains = [s for s in body.stmts if isinstance(s, ast.Chain)]
    return chains[-1].span if chains else body.span
