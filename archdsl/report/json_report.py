"""The JSON form of `archdsl check`: one versioned shape for every outcome.

`{"version": 1, "ok": ..., "models": [...], "diagnostics": [...]}`, described
by docs/check.schema.json. A change that could break a reader (a field
removed, renamed or retyped) raises VERSION; a new field is added to the schema.
"""

from __future__ import annotations

from typing import Any

from archdsl.analysis.receptive_field import Field, receptive_fields
from archdsl.diagnostics import Diagnostic
from archdsl.diagnostics.diagnostic import Severity
from archdsl.ir import Model
from archdsl.report.summary import (
    BYTES_PER_ELEMENT,
    op_name,
    op_text,
    rows,
    tally,
)

VERSION = 1


def check_json(models: list[dict[str, Any]], diagnostics: list[Diagnostic]) -> dict[str, Any]:
    """The whole report: the models checked, and every diagnostic (ok when none is an error)."""
    return {
        "version": VERSION,
        "ok": not any(d.severity == Severity.ERROR for d in diagnostics),
        "models": models,
        "diagnostics": [d.as_json() for d in diagnostics],
    }


def model_json(model: Model) -> dict[str, Any]:
    layers, acts = tally(model)
    fields = receptive_fields(model) or {}
    return {
        "name": model.name,
        "input": list(model.input),
        "output": list(model.output),
        "params": model.params,
        "trainable_params": model.params,
        "buffers": model.buffers,
        "macs": model.macs,
        "attention_macs": model.attention_macs,
        "layers": layers,
        "activations": {"elements": acts, "bytes": acts * BYTES_PER_ELEMENT},
        "nodes": [
            {
                "path": row.node.path,
                "kind": row.node.kind,
                "op": op_name(row.node),
                "summary": op_text(row.node, model),
                "depth": row.depth,
                "in_shape": list(row.node.in_shape),
                "out_shape": list(row.node.out_shape),
                "params": row.node.params,
                "buffers": row.node.buffers,
                "macs": row.node.macs,
                "attention_macs": row.node.attention_macs,
                **rf_json(fields.get(row.node.path)),
                "span": row.node.span.as_json(),
                "inputs": row.node.inputs,
                "outputs": row.node.outputs,
            }
            for row in rows(model)
        ],
        # The graph of values: the model's inputs and outputs, and every value.
        "inputs": model.inputs,
        "outputs": model.outputs,
        "values": [
            {
                "id": v.id,
                "name": v.name,
                "shape": list(v.shape),
                "batched": v.batched,
                "span": v.span.as_json(),
            }
            for v in model.values.values()
        ],
    }


def rf_json(field: Field | None) -> dict[str, Any]:
    """`rf` and `jump` as [height, width] (null for non-image models); `rf_whole` once
    the node sees the whole input, where both are the input's size."""
    if field is None:
        return {"rf": None, "jump": None, "rf_whole": None}
    return {"rf": list(field.size), "jump": list(field.jump), "rf_whole": field.whole}
