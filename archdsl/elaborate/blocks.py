"""Calls of user blocks: binding parameters (numbers or values), `input x` and
`output a, b` lines, and the node a call expands to."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from archdsl.diagnostics import Diagnostic, Note, Span
from archdsl.elaborate.budget import Frame
from archdsl.elaborate.expr import Env, evaluate
from archdsl.elaborate.flow import Outs, outs_of, shape_of
from archdsl.elaborate.make_nodes import call_text, composite, plain, reads
from archdsl.elaborate.values import EvalError, Poisoned, Ref, Value
from archdsl.ir import BlockNode, Node
from archdsl.ir import Value as Tensor
from archdsl.syntax import ast

if TYPE_CHECKING:
    from archdsl.elaborate.elaborator import Elaborator


def block_call(
    elab: Elaborator,
    call: ast.Call,
    flow: Tensor | None,
    scope: dict[str, Value],
    out: list[Node],
    path: str,
    name: str,
    frame: Frame,
) -> Outs:
    block = elab.blocks[call.name]
    if call.name in elab.static.recursive or elab.static.too_deep:
        return None  # reported by the static pass
    elab.within_limit(elab.static.min_sizes.get(call.name, 0) * frame.copies, call.span, frame)
    steps = elab.static.min_block_steps.get(call.name, 0) * frame.copies
    elab.count_steps(steps, call.span, frame, ahead=True)
    inner_scope = bind_block(elab, block, call, Env(scope, shape_of(flow)), frame)
    if inner_scope is None:
        return None
    children: list[Node] = []
    inner = replace(
        elab.nested(frame, 1, call.span),
        chain=(*frame.chain, (f"in block `{call.name}` called", call.span)),
    )
    stmts, named, output = block_parts(elab, block, inner)
    elab.names.enter((), block.params)
    try:
        if named is not None:
            taken = elab.names.rebound(named.name, named.name_span, inner_scope)
            if taken is not None:
                elab.report(taken, inner)
            elab.names.give(
                inner_scope, Ref(named.name, flow, named.name_span), "the block's input"
            )
        end = elab.seq(stmts, flow, inner_scope, children, path, inner, output is None)
        outs = outs_of(end) if output is None else given_out(elab, output, inner_scope, inner)
    finally:
        elab.names.leave()
    if flow is None or outs is None:
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
            in_shape=flow.shape,
            out_shape=outs[0].shape,
            inputs=reads(flow, children, outs),
            outputs=[o.id for o in outs],
            block=call.name,
            args=args,
            children=children,
        )
    )
    return outs


def block_parts(
    elab: Elaborator, block: ast.BlockDef, frame: Frame
) -> tuple[tuple[ast.Stmt, ...], ast.NamedInput | None, ast.OutputStmt | None]:
    """A block's statements apart from its `input x` and `output` lines, and those."""
    named = [s for s in block.body.stmts if isinstance(s, ast.NamedInput)]
    outputs = [s for s in block.body.stmts if isinstance(s, ast.OutputStmt)]
    extras: list[ast.NamedInput | ast.OutputStmt] = [*named[1:], *outputs[1:]]
    for extra in extras:
        what = "input" if isinstance(extra, ast.NamedInput) else "output"
        elab.report(
            Diagnostic(
                "duplicate",
                f"a block has one `{what}` line",
                extra.span,
                help="list several outputs on one line: `output a, b`"
                if what == "output"
                else "a block takes one value flowing in; pass others as parameters",
            ),
            frame,
        )
    for stmt in named:
        if stmt.shape is not None:
            elab.report(
                Diagnostic(
                    "placement",
                    "a block's `input` names the value flowing in and takes no shape",
                    stmt.shape.span,
                    help=f"write `input {stmt.name}`",
                ),
                frame,
            )
    stmts = tuple(s for s in block.body.stmts if not isinstance(s, ast.NamedInput | ast.OutputStmt))
    return stmts, (named[0] if named else None), (outputs[0] if outputs else None)


def given_out(
    elab: Elaborator, stmt: ast.OutputStmt, scope: dict[str, Value], frame: Frame
) -> tuple[Tensor, ...] | None:
    """The values an `output` line names, in order."""
    found: list[Tensor] = []
    first: dict[str, Span] = {}
    for name, span in zip(stmt.names, stmt.name_spans, strict=True):
        if name in first:
            elab.report(
                Diagnostic(
                    "duplicate",
                    f"`{name}` is given out twice",
                    span,
                    notes=(Note(f"`{name}` is first given out", first[name]),),
                    help="list each output once",
                ),
                frame,
            )
            continue
        first[name] = span
        ref = elab.lookup(name, span, scope, frame)
        if ref is not None and ref.tensor is not None:
            found.append(ref.tensor)
    if len(found) != len(stmt.names):
        return None
    elab.consumed.update(v.id for v in found)
    return tuple(found)


def bind_block(
    elab: Elaborator, block: ast.BlockDef, call: ast.Call, env: Env, frame: Frame
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
            elab.report(err.diagnostic, frame)
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
                elab.report(err.diagnostic, frame)
                return None
            except Poisoned:
                return None
        else:
            elab.report(
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
