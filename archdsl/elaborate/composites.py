"""The composite steps: `residual`, `concat`/`add`/`mul` branches, `repeat` and `if`."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from archdsl.diagnostics import Diagnostic, Span
from archdsl.elaborate.budget import Frame
from archdsl.elaborate.expr import DIVISION_HINT, Env, divides, evaluate, require
from archdsl.elaborate.flow import Outs, join, outs_of, shape_of
from archdsl.elaborate.make_nodes import composite, reads
from archdsl.elaborate.merge import merge_shapes
from archdsl.elaborate.values import EvalError, Poisoned, Value, show
from archdsl.ir import GroupNode, Node, ParallelNode, RepeatNode, ResidualNode
from archdsl.ir import Value as Tensor
from archdsl.ops.shape_math import fmt_shape
from archdsl.syntax import ast

if TYPE_CHECKING:
    from archdsl.elaborate.elaborator import Elaborator


def residual(
    elab: Elaborator,
    res: ast.Residual,
    flow: Tensor | None,
    scope: dict[str, Value],
    out: list[Node],
    path: str,
    name: str,
    frame: Frame,
) -> Outs:
    body_nodes: list[Node] = []
    body_path = join(path, "body")
    frame = elab.nested(frame, 2, res.keyword_span)  # the residual, then its body or project
    end = elab.seq(res.body.stmts, flow, dict(scope), body_nodes, body_path, frame)
    if flow is None or end is None:
        return None
    body = elab.group("body", body_path, res.body.span, flow, (end,), body_nodes)
    project = None
    joined = [flow, end]
    if end.shape != flow.shape:
        if res.project is None:
            elab.report(
                Diagnostic(
                    "shape",
                    f"the residual body changes the shape from {fmt_shape(flow.shape)} to "
                    f"{fmt_shape(end.shape)}, and there is no `project` for the shortcut",
                    res.keyword_span,
                    help="add `project { ... }` after the body to map the input to "
                    f"{fmt_shape(end.shape)}",
                ),
                frame,
            )
            return None
        proj_nodes: list[Node] = []
        proj_path = join(path, "project")
        proj_end = elab.seq(res.project.stmts, flow, dict(scope), proj_nodes, proj_path, frame)
        if proj_end is None:
            return None
        if proj_end.shape != end.shape:
            elab.report(
                Diagnostic(
                    "shape",
                    f"the projection gives {fmt_shape(proj_end.shape)} but the residual "
                    f"body gives {fmt_shape(end.shape)}",
                    _last_chain(res.project),
                    help="make the projection's output match the body's",
                ),
                frame,
                flow.shape,
            )
            return None
        project = elab.group("project", proj_path, res.project.span, flow, (proj_end,), proj_nodes)
        joined.append(proj_end)
    parts = [body] if project is None else [body, project]
    elab.consumed.update(v.id for v in joined)
    out.append(
        composite(
            ResidualNode,
            parts,
            name=name,
            path=path,
            span=res.span,
            in_shape=flow.shape,
            out_shape=end.shape,
            inputs=reads(flow, parts, ()),
            outputs=[path],
            body=body,
            project=project,
        )
    )
    return (elab.make_value(path, end.shape, res.span),)


def parallel(
    elab: Elaborator,
    par: ast.Parallel,
    flow: Tensor | None,
    scope: dict[str, Value],
    out: list[Node],
    path: str,
    name: str,
    frame: Frame,
) -> Outs:
    branches: list[GroupNode] = []
    ends: list[Tensor | None] = []
    frame = elab.nested(frame, 2, par.keyword_span)  # the merge, then each branch
    for i, branch in enumerate(par.branches):
        nodes: list[Node] = []
        bpath = join(path, str(i))
        end = elab.seq(branch.stmts, flow, dict(scope), nodes, bpath, frame)
        ends.append(end)
        if flow is not None and end is not None:
            branches.append(elab.group(str(i), bpath, branch.span, flow, (end,), nodes))
    known = [e for e in ends if e is not None]
    if flow is None or len(known) != len(ends):
        return None
    merged, problem = merge_shapes(par, [e.shape for e in known])
    if problem is not None:
        elab.report(problem, frame)
    if merged is None:
        return None
    elab.consumed.update(e.id for e in known)
    out.append(
        composite(
            ParallelNode,
            branches,
            name=name,
            path=path,
            span=par.span,
            in_shape=flow.shape,
            out_shape=merged,
            inputs=reads(flow, branches, ()),
            outputs=[path],
            merge=par.merge,
            children=branches,
        )
    )
    return (elab.make_value(path, merged, par.span),)


def repeat(
    elab: Elaborator,
    rep: ast.Repeat,
    flow: Tensor | None,
    scope: dict[str, Value],
    out: list[Node],
    path: str,
    name: str,
    frame: Frame,
) -> Outs:
    try:
        count = require(evaluate(rep.times, Env(scope, shape_of(flow))), rep.times.span, Env(scope))
    except EvalError as err:
        elab.report(err.diagnostic, frame)
        return None
    except Poisoned:
        return None
    if not isinstance(count, int) or isinstance(count, bool) or count < 0:
        whole = isinstance(count, int) and not isinstance(count, bool)
        wanted = "0 or more copies" if whole else "a whole number of copies"
        elab.report(
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
    size = max(1, elab.static.min_step_size(rep.body))
    elab.within_limit(size * copies, rep.times.span, frame)
    # Copies that expand to nothing still cost work: refuse them before the loop.
    steps = copies * elab.static.min_step_steps(rep.body)
    elab.count_steps(steps, rep.times.span, frame, ahead=True)
    start = flow
    children: list[Node] = []
    levels = 2 if isinstance(rep.body, ast.Group) else 1  # the repeat, and each copy's group
    frame = replace(elab.nested(frame, levels, rep.keyword_span), copies=copies)
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
            end = elab.seq(rep.body.body.stmts, flow, iter_scope, nodes, ipath, inner)
            if flow is not None and end is not None:
                copy = elab.group(str(i), ipath, rep.body.span, flow, (end,), nodes)
                children.append(copy)
            flow = end
        else:
            outs = elab.step(rep.body, flow, iter_scope, children, path, inner, str(i))
            flow = elab.one(outs, rep.body, inner)
    if start is None or flow is None:
        return None
    out.append(
        composite(
            RepeatNode,
            children,
            name=name,
            path=path,
            span=rep.span,
            in_shape=start.shape,
            out_shape=flow.shape,
            inputs=reads(start, children, (flow,)),
            outputs=[flow.id],
            count=count,
            children=children,
        )
    )
    return (flow,)


def if_step(
    elab: Elaborator,
    step: ast.If,
    flow: Tensor | None,
    scope: dict[str, Value],
    out: list[Node],
    prefix: str,
    frame: Frame,
) -> Outs:
    # An `else if` chain is walked in a loop: it may be thousands long, and
    # braces reset the post-lexer's bound on nesting.
    chosen: ast.Body | ast.If | None = step
    while isinstance(chosen, ast.If):
        try:
            env = Env(scope, shape_of(flow))
            cond = require(evaluate(chosen.cond, env), chosen.cond.span, Env(scope))
        except EvalError as err:
            elab.report(err.diagnostic, frame)
            return None
        except Poisoned:
            return None
        if not isinstance(cond, bool):
            elab.report(
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
        return outs_of(flow)
    return outs_of(elab.seq(chosen.stmts, flow, dict(scope), out, prefix, frame))


def _last_chain(body: ast.Body) -> Span:
    """Where a body's output shape is made: its last chain (the body if it has none)."""
    chains = [s for s in body.stmts if isinstance(s, ast.Chain | ast.Assign)]
    return chains[-1].span if chains else body.span
