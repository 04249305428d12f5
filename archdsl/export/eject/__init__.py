"""`archdsl eject`: a model as standalone, readable PyTorch source.

The source defines one class per block, named after it and derived from the
block's text (see derive.py), and a class for the model; its state_dict keys
and shapes are exactly archdsl.build's.
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import replace

from archdsl.export.eject.class_source import class_source
from archdsl.export.eject.classes import ClassDef, class_name
from archdsl.export.eject.derive import Deriver, Observed
from archdsl.export.eject.errors import EjectError
from archdsl.export.eject.helpers import BACKEND_HELPERS, HELPERS, NEEDS, backend_source
from archdsl.ir import Model
from archdsl.ops.shape_math import fmt_shape
from archdsl.syntax.parser import parse

__all__ = ["EjectError", "eject"]


def eject(model: Model, sources: dict[str, str] | None = None, source: str | None = None) -> str:
    """The Python source of `model`, derived from the spec's text in `sources`.

    `source` names the spec in the file's docstring. Raises EjectError for a
    block one class cannot express.
    """
    files = [parse(text, name) for name, text in (sources or {}).items()]
    definition = next((m for f in files for m in f.models if m.name == model.name), None)
    if definition is None:
        raise EjectError(f"eject needs the source of model `{model.name}`")
    deriver = Deriver(files, Observed.of(model))
    model_cls = deriver.model_class(definition, model, class_name(model.name, set()))
    classes = deriver.classes
    if model_cls.name in {c.name for c in classes}:
        model_cls = replace(model_cls, name=class_name(model.name, {c.name for c in classes}))
    defaults = {
        c.name: {p.name: p.default for p in c.params if p.default is not None} for c in classes
    }

    used: set[str] = set()
    bodies: list[list[str]] = []
    for c in classes:
        bodies.append(class_source(c, _block_doc(c), used, defaults))
    summary = (
        f"{_values('Input', model, model.inputs)}, {_values('output', model, model.outputs)}, "
        f"{model.params:,} parameters."
    )
    bodies.append(class_source(model_cls, summary, used, defaults))
    # Spec functions in expressions: `divisible(...)` and `math.floor(...)` need defining.
    code = "\n".join(line for body in bodies for line in body)
    used |= {n for n in ("divisible", "math") if re.search(rf"\b{n}[(.]", code)}
    helpers = [h for h in (*HELPERS, *BACKEND_HELPERS) if h in used]
    for h in helpers:
        used |= NEEDS[h]

    origin = f"from {source}" if source else "from its spec"
    lines = [
        f'"""{model.name} in plain PyTorch, ejected by archdsl.',
        "",
        *textwrap.wrap(
            f"Generated {origin}. Its state_dict keys and shapes are those of "
            "archdsl.build, so weights trained with archdsl load here with "
            "load_state_dict(strict=True).",
            width=88,
        ),
        '"""',
        "",
        *_imports(used),
    ]
    texts = [HELPERS[h] if h in HELPERS else backend_source(h) for h in helpers]
    for part in [text.strip("\n").splitlines() for text in texts] + bodies:
        lines += ["", "", *part]
    return "\n".join(lines) + "\n"


def _imports(used: set[str]) -> list[str]:
    lines = []
    if "math" in used:
        lines.append("import math")
    if "OrderedDict" in used:
        lines.append("from collections import OrderedDict")
    if lines:
        lines.append("")  # the standard library's section, then torch's
    if "torch" in used:
        lines.append("import torch")
    if "F" in used:
        lines.append("import torch.nn.functional as F")
    lines.append("from torch import nn")
    return lines


def _block_doc(cls: ClassDef) -> str:
    if not cls.notes:
        return f"The `{cls.block}` block."
    lines = [
        f"The `{cls.block}` block, right only for calls like the spec's:",
        "",
        *(f"- {note}" for note in cls.notes),
        "",
        "These are not computed from the parameters: other arguments may need other values.",
    ]
    return "\n".join(lines)


def _values(what: str, model: Model, ids: list[str]) -> str:
    """`Input [3, 32, 32]`, or each value by name where there are several."""
    if len(ids) < 2:
        return f"{what} {_shape(model.values[ids[0]].shape)}"
    named = [f"{model.values[v].name} {_shape(model.values[v].shape)}" for v in ids]
    return f"{what}s {', '.join(named)}"


def _shape(shape: tuple[int, ...]) -> str:
    return fmt_shape(shape).replace("N, ", "")
