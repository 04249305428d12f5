"""The torch backend: build an nn.Module from a checked spec, and prove it matches."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from torch import nn

from archdsl.backend.allocation import check_fits
from archdsl.backend.builder import build_model
from archdsl.backend.init import SCHEMES, InitScheme, initialise
from archdsl.ir import CallValue, Model, Program


def resolve(spec: str | Path | Program | Model, model: str | None = None) -> Model:
    """The IR model a spec argument names: a path, spec text, a Program or a Model."""
    if isinstance(spec, Model):
        return spec
    if not isinstance(spec, Program):
        from archdsl.loader import load

        spec = load(spec, model=model)
    return spec.model(model)


def init_from_spec(model: Model) -> tuple[InitScheme, bool]:
    """The scheme a model's train section names (`init torchvision(zero_init_residual=true)`)."""
    for entry in model.train:
        if entry.key != "init":
            continue
        value = entry.value
        name = value.name if isinstance(value, CallValue) else value
        zero = (
            bool(value.kwargs.get("zero_init_residual", False))
            if isinstance(value, CallValue)
            else False
        )
        if name in SCHEMES:
            return name, zero  # type: ignore[return-value]
        if name == "from":  # weights read from a file: the trainer loads them over these
            return "torch", False
        raise ValueError(f"unknown init scheme {name!r}; choose from {', '.join(SCHEMES)}")
    return "torch", False


def build(
    spec: str | Path | Program | Model,
    model: str | None = None,
    init: InitScheme | None = None,
    zero_init_residual: bool | None = None,
    **unknown: Any,
) -> nn.Module:
    """The torch module of a spec, its submodules named as the spec names its steps.

    `init` and `zero_init_residual` override what the spec's train section says.
    Any other keyword is refused: a misspelt option must not be ignored.
    Raises `TooLarge` before allocating a model this process cannot hold.
    """
    if unknown:
        raise TypeError(_unknown_arguments(unknown))
    if init is not None and init not in SCHEMES:
        raise ValueError(f"unknown init scheme {init!r}; choose from {', '.join(SCHEMES)}")
    ir = resolve(spec, model)
    check_fits(ir)
    module = build_model(ir)
    scheme, zero = init_from_spec(ir)
    initialise(
        module,
        init if init is not None else scheme,
        zero if zero_init_residual is None else zero_init_residual,
    )
    return module


_BUILD_ARGUMENTS = ("spec", "model", "init", "zero_init_residual")


def _unknown_arguments(unknown: dict[str, Any]) -> str:
    names = ", ".join(f"`{name}`" for name in unknown)
    message = f"build() takes no argument {names}; it takes {', '.join(_BUILD_ARGUMENTS)}"
    close = [difflib.get_close_matches(name, _BUILD_ARGUMENTS, n=1) for name in unknown]
    hints = [f"`{m[0]}`" for m in close if m]
    return message + (f" (did you mean {', '.join(hints)}?)" if hints else "")
