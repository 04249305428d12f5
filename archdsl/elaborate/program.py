"""A parsed unit to a checked Program: static checks, then each model elaborated."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from archdsl.diagnostics import Diagnostic, Note
from archdsl.diagnostics.suggest import did_you_mean
from archdsl.elaborate.elaborator import Elaborator, Frame, LimitExceeded
from archdsl.elaborate.expect import check_expect
from archdsl.elaborate.expr import Env, evaluate, require
from archdsl.elaborate.static import StaticChecker
from archdsl.elaborate.train_section import train_entries
from archdsl.elaborate.values import EvalError, Symbol, show
from archdsl.ir import Model, Node, Program, TrainEntry
from archdsl.ops.shape_math import Shape
from archdsl.syntax import ast
from archdsl.syntax.imports import Unit
from archdsl.syntax.limits import MAX_MODELS


def collect_blocks(unit: Unit) -> tuple[dict[str, ast.BlockDef], list[Diagnostic]]:
    """Every block of the unit by name; a name defined twice is an error."""
    blocks: dict[str, ast.BlockDef] = {}
    diags: list[Diagnostic] = []
    for src in unit.files.values():
        for block in src.blocks:
            first = blocks.get(block.name)
            if first is not None:
                diags.append(
                    Diagnostic(
                        "duplicate",
                        f"block `{block.name}` is defined twice",
                        block.name_span,
                        notes=(Note("first defined", first.name_span),),
                        help="rename one of them; blocks of imported files share one namespace",
                    )
                )
                continue
            blocks[block.name] = block
    return blocks, diags


def elaborate(unit: Unit, only: str | None = None) -> tuple[Program, list[Diagnostic]]:
    """Check every model of the unit's main file, or only the one named."""
    diags = list(unit.diagnostics)
    blocks, dup = collect_blocks(unit)
    diags += dup
    static = StaticChecker(blocks)
    for block in blocks.values():
        diags += static.check_block(block)
    diags += static.check_call_graph()
    models = unit.main.models
    if only is not None:
        models = [m for m in models if m.name == only]
        if not models:
            names = [m.name for m in unit.main.models]
            raise KeyError(
                f"no model `{only}` in {unit.main.path}"
                + (f"; {did_you_mean(only, names)}" if did_you_mean(only, names) else "")
                + (f" (it has {', '.join(names)})" if names else " (it defines no model)")
            )
    if len(models) > MAX_MODELS:
        extra = models[MAX_MODELS]
        message = f"the file defines more than {MAX_MODELS:,} models"
        diags.append(Diagnostic("limit", message, extra.name_span, help="split it into files"))
        return Program.model_construct(models=[], sources=unit.sources), diags
    trains, train_diags = _train_sections(unit.main, only)
    diags += train_diags
    out: list[Model] = []
    seen: dict[str, ast.ModelDef] = {}
    for mdef in models:
        if mdef.name in seen:
            diags.append(
                Diagnostic(
                    "duplicate",
                    f"model `{mdef.name}` is defined twice",
                    mdef.name_span,
                    notes=(Note("first defined", seen[mdef.name].name_span),),
                )
            )
            continue
        seen[mdef.name] = mdef
        diags += static.check_body(mdef.body.stmts)
        with _collector_paused():
            model, model_diags = _model(mdef, blocks, static, trains.get(mdef.name, []))
        diags += model_diags
        if model is not None:
            out.append(model)
    return Program.model_construct(models=out, sources=unit.sources), diags


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Elaboration allocates many small objects that all stay alive; the cycle
    collector's repeated passes over them would make it superlinear in model
    size. The little cyclic garbage made meanwhile waits for the next pass,
    and the layer and step limits bound it."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _model(
    mdef: ast.ModelDef,
    blocks: dict[str, ast.BlockDef],
    static: StaticChecker,
    train: list[TrainEntry],
) -> tuple[Model | None, list[Diagnostic]]:
    diags: list[Diagnostic] = []
    inputs = [s for s in mdef.body.stmts if isinstance(s, ast.InputStmt)]
    expects = [s for s in mdef.body.stmts if isinstance(s, ast.ExpectStmt)]
    steps = tuple(s for s in mdef.body.stmts if not isinstance(s, ast.InputStmt | ast.ExpectStmt))
    for extra in inputs[1:]:
        diags.append(Diagnostic("duplicate", "a model has one `input`", extra.span))
    shape: Shape | None = None
    if not inputs:
        diags.append(
            Diagnostic(
                "input",
                f"model `{mdef.name}` has no `input`",
                mdef.name_span,
                help="state the per-sample input shape, e.g. `input [3, 32, 32]`",
            )
        )
    else:
        shape, problem = _input_shape(inputs[0])
        if problem:
            diags.append(problem)
    elab = Elaborator(blocks, static)
    children: list[Node] = []
    try:
        end = elab.seq(steps, shape, {}, children, "", Frame())
    except LimitExceeded:
        end = None
    diags += elab.diagnostics
    if shape is None or end is None or any(d.severity.value == "error" for d in diags):
        return None, diags
    root = Elaborator.group("", "", mdef.span, shape, end, children)
    for stmt in expects:
        diags += check_expect(stmt, root)
    model = Model.model_construct(
        name=mdef.name,
        span=mdef.name_span,
        input=shape,
        output=end,
        params=root.params,
        buffers=root.buffers,
        macs=root.macs,
        attention_macs=root.attention_macs,
        root=root,
        train=train,
    )
    return model, diags


def _input_shape(stmt: ast.InputStmt) -> tuple[Shape | None, Diagnostic | None]:
    env = Env({}, has_shape=False)
    try:
        value = evaluate(stmt.shape, env)
        dims = value if isinstance(value, list) else [value]
        for dim in dims:  # a bare word in the shape is an unknown name, said as such
            require(dim, stmt.shape.span, env)
    except EvalError as err:
        return None, err.diagnostic
    ok = all(isinstance(d, int) and not isinstance(d, bool) and d >= 1 for d in dims)
    if ok and 1 <= len(dims) <= 4:
        return tuple(dims), None
    shown = show(value) if not isinstance(value, Symbol) else value.name
    return None, Diagnostic(
        "input",
        "`input` must be 1 to 4 positive whole numbers: [features], [channels, length], "
        f"[channels, height, width] or [channels, depth, height, width], got {shown}",
        stmt.shape.span,
        help="e.g. `input [3, 32, 32]` for CIFAR-10 or `input [64]` for 64 features",
    )


def _train_sections(
    src: ast.SourceFile, only: str | None
) -> tuple[dict[str, list[TrainEntry]], list[Diagnostic]]:
    names = [m.name for m in src.models]
    out: dict[str, list[TrainEntry]] = {}
    diags: list[Diagnostic] = []
    for section in src.trains:
        target = section.model
        if target is None:
            if len(names) != 1:
                diags.append(
                    Diagnostic(
                        "train",
                        "this file has several models; say which one the section trains",
                        section.span,
                        help=f"write `train {names[0] if names else 'NAME'} {{ ... }}`",
                    )
                )
                continue
            target = names[0]
        elif target not in names:
            diags.append(
                Diagnostic(
                    "unknown-name",
                    f"no model `{target}` to train",
                    section.model_span or section.span,
                    help=did_you_mean(target, names),
                )
            )
            continue
        if target in out:
            diags.append(
                Diagnostic("duplicate", f"model `{target}` has two train sections", section.span)
            )
            continue
        if only is not None and target != only:
            continue
        entries, problems = train_entries(section)
        out[target] = entries
        diags += problems
    return out, diags
