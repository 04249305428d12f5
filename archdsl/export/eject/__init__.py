"""`archdsl eject`: a model as standalone, readable PyTorch source.

The source defines one class per block (several where its calls expand to
different structures), named after it, and a class for the model; its
state_dict keys and shapes are exactly archdsl.build's.
"""

from __future__ import annotations

import textwrap

from archdsl.export.eject.class_source import class_source
from archdsl.export.eject.classes import RESERVED, ClassDef, assign_classes, camel
from archdsl.export.eject.from_ir import EjectError, tree_for_model
from archdsl.export.eject.helpers import HELPERS, NEEDS
from archdsl.export.eject.spec_info import spec_info
from archdsl.export.eject.unify import Unifier
from archdsl.ir import Model
from archdsl.ops.shape_math import fmt_shape

__all__ = ["EjectError", "eject"]


def eject(model: Model, sources: dict[str, str] | None = None, source: str | None = None) -> str:
    """The Python source of `model`; EjectError names a part it cannot write.

    `sources` (a Program's) give the blocks' defaults, which calls then leave
    out; `source` names the spec in the file's docstring.
    """
    tree = tree_for_model(model)
    info = spec_info(sources or {})
    root, classes = assign_classes(tree, info)
    defaults = {
        c.name: {p.name: p.default for p in c.params if p.default is not None} for c in classes
    }
    name = camel(model.name)
    taken = {c.name for c in classes} | RESERVED
    while name in taken:
        name += "Model"
    model_cls = ClassDef(
        name, model.name, (), Unifier(info.conditions, info.arguments).seq([root], [{}]), 1
    )

    used: set[str] = set()
    bodies: list[list[str]] = []
    calls = {c.block: 0 for c in classes}
    for c in classes:
        calls[c.block] += c.calls
    for c in classes:
        bodies.append(class_source(c, _block_doc(c, calls[c.block]), used, defaults))
    summary = (
        f"{_values('Input', model.input, model, model.inputs)}, "
        f"{_values('output', model.output, model, model.outputs)}, "
        f"{model.params:,} parameters."
    )
    bodies.append(class_source(model_cls, summary, used, defaults))
    helpers = [h for h in HELPERS if h in used]
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
    for part in [HELPERS[h].strip("\n").splitlines() for h in helpers] + bodies:
        lines += ["", "", *part]
    return "\n".join(lines) + "\n"


def _imports(used: set[str]) -> list[str]:
    lines = []
    if "OrderedDict" in used:
        lines += ["from collections import OrderedDict", ""]
    if "torch" in used:
        lines.append("import torch")
    if "F" in used:
        lines.append("import torch.nn.functional as F")
    lines.append("from torch import nn")
    return lines


def _block_doc(cls: ClassDef, total: int) -> str:
    if cls.calls == total:
        return f"The `{cls.block}` block."
    return f"The `{cls.block}` block, as {cls.calls} of its {total} calls expand."


def _values(what: str, shape: tuple[int, ...], model: Model, ids: list[str]) -> str:
    """`Input [3, 32, 32]`, or each value by name where there are several."""
    if len(ids) < 2:
        return f"{what} {_shape(shape)}"
    named = [f"{model.values[v].name} {_shape(model.values[v].shape)}" for v in ids]
    return f"{what}s {', '.join(named)}"


def _shape(shape: tuple[int, ...]) -> str:
    return fmt_shape(shape).replace("N, ", "")
