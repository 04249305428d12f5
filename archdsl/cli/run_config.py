"""From a spec and the command line's flags to an IR model and its validated config.

`train` and `eval` share this: the spec is loaded and checked, each flag
becomes an override of one key of the train section, and every mistake is
reported (at its place in the spec, or naming its flag) before any work.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from archdsl.cli.console import fail, print_diagnostics

if TYPE_CHECKING:
    from archdsl.ir import ConfigValue, Model
    from archdsl.train.config import TrainConfig
    from archdsl.train.resolve import Override

Flag = int | float | str | Path | None
_KEY = re.compile(r"[A-Za-z_]\w*(\.\w+)*")


def model_and_config(
    spec: Path, model: str | None, flags: Mapping[str, Flag], sets: list[str] | None
) -> tuple[Model, TrainConfig]:
    """The checked model and its effective configuration; exits with every error shown."""
    from archdsl.diagnostics import ArchError
    from archdsl.loader import load
    from archdsl.train.resolve import train_config

    if not spec.is_file():
        fail(f"no such file: {spec}" if not spec.exists() else f"not a file: {spec}", 2)
    try:
        program = load(spec, model=model)
        ir = program.model(model)
    except KeyError as exc:
        fail(str(exc.args[0]), 2)
        raise
    except ArchError as exc:
        print_diagnostics(exc.diagnostics, exc.sources)
        raise typer.Exit(1) from None
    # Whole values from --set first, so that --data or --lr can refine what they set.
    overrides = [set_override(text) for text in sets or []] + flag_overrides(flags)
    try:
        return ir, train_config(ir, overrides)
    except ArchError as exc:
        print_diagnostics(exc.diagnostics, program.sources)
        raise typer.Exit(1) from None


# The flags that stand for a key of the train section.
FLAG_KEYS = {
    "epochs": "epochs",
    "batch": "batch",
    "lr": "optimizer.lr",
    "data": "data.path",
    "device": "device",
    "seed": "seed",
    "log": "log",
}


def flag_overrides(flags: Mapping[str, Flag]) -> list[Override]:
    from archdsl.train.resolve import Override

    out = []
    for flag, value in flags.items():
        if value is None:
            continue
        plain = str(value) if isinstance(value, Path) else value
        out.append(Override(FLAG_KEYS[flag], plain, f"--{flag} {value}"))
    return out


def set_override(text: str) -> Override:
    """`--set optimizer.lr=0.05`: a dotted key and a value written as in a train section."""
    from archdsl.train.resolve import Override

    key, eq, value = text.partition("=")
    key = key.strip()
    if not eq or not _KEY.fullmatch(key):
        fail(f"--set {text}: write KEY=VALUE, such as --set optimizer.lr=0.05", 2)
    return Override(key, parse_value(value.strip(), text), f"--set {text}")


def parse_value(text: str, whole: str) -> ConfigValue:
    """A value in train-section syntax, read by the spec grammar itself."""
    from archdsl.train.value_text import read_value

    try:
        return read_value(text)
    except ValueError as exc:
        fail(f"--set {whole}: {exc}", 2)
        raise
