"""A parsed unit to a checked Program: static checks, then each model elaborated."""

from __future__ import annotations

from archdsl.collector import collector_paused
from archdsl.diagnostics import Diagnostic, Note
from archdsl.diagnostics.suggest import did_you_mean
from archdsl.elaborate.blocks import given_out
from archdsl.elaborate.budget import Frame, LimitExceeded
from archdsl.elaborate.elaborator import Elaborator
from archdsl.elaborate.expect import check_expect
from archdsl.elaborate.model_io import model_inputs
from archdsl.elaborate.static import StaticChecker
from archdsl.elaborate.train_section import train_entries
from archdsl.elaborate.values import Value
from archdsl.ir import Model, Node, Program, TrainEntry
from archdsl.ir import Value as Tensor
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
        return Program(models=[], sources=unit.sources), diags
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
        with collector_paused():
            model, model_diags = _model(mdef, blocks, static, trains.get(mdef.name, []))
        diags += model_diags
        if model is not None:
            out.append(model)
    return Program(models=out, sources=unit.sources), diags


def _model(
    mdef: ast.ModelDef,
    blocks: dict[str, ast.BlockDef],
    static: StaticChecker,
    train: list[TrainEntry],
) -> tuple[Model | None, list[Diagnostic]]:
    stmts = mdef.body.stmts
    expects = [s for s in stmts if isinstance(s, ast.ExpectStmt)]
    outputs = [s for s in stmts if isinstance(s, ast.OutputStmt)]
    top = (ast.InputStmt, ast.NamedInput, ast.ExpectStmt, ast.OutputStmt)
    steps = tuple(s for s in stmts if not isinstance(s, top))
    elab = Elaborator(blocks, static)
    scope: dict[str, Value] = {}
    inputs, known, diags = model_inputs(mdef, elab, scope)
    for extra in outputs[1:]:
        diags.append(
            Diagnostic(
                "duplicate",
                "a model has one `output` line",
                extra.span,
                help="list several outputs on one line: `output a, b`",
            )
        )
    flow = inputs[0] if inputs and known else None
    children: list[Node] = []
    outs: tuple[Tensor, ...] | None = None
    try:
        end = elab.seq(steps, flow, scope, children, "", Frame(), gives_end=not outputs)
        if outputs:
            outs = given_out(elab, outputs[0], scope, Frame())
        elif end is not None:
            outs = (end,)
            elab.consumed.add(end.id)
    except LimitExceeded:
        pass
    diags += elab.diagnostics
    if flow is None or outs is None or any(d.severity.value == "error" for d in diags):
        return None, diags
    warnings = elab.names.unused(elab.consumed)
    diags += warnings
    root = Elaborator.group("", "", mdef.span, flow, outs, children)
    root.inputs = [v.id for v in inputs]  # the model's forward takes every input, in order
    for stmt in expects:
        diags += check_expect(stmt, root)
    model = Model(
        name=mdef.name,
        span=mdef.name_span,
        input=flow.shape,
        output=outs[0].shape,
        params=root.params,
        buffers=root.buffers,
        macs=root.macs,
        attention_macs=root.attention_macs,
        root=root,
        train=train,
        values=elab.values,
        inputs=root.inputs,
        outputs=root.outputs,
        warnings=warnings,
    )
    return model, diags


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
