"""`archdsl check` itself, with no typer or rich: what `archdsl check SPEC` runs.

`parse_check_args` reads the command line for the common case; anything it does
not recognise (`--help`, an unknown option, a missing value) returns None, and
the typer command in `check.py` answers instead, with its usage message. A test
proves the two give the same output.
"""

from __future__ import annotations

import gc
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from archdsl.cli.load_spec import load_or_exit
from archdsl.cli.terminal import fail, print_diagnostics, shows_colour, write_lines

if TYPE_CHECKING:
    from archdsl.backend.verify import Verified
    from archdsl.diagnostics import Diagnostic
    from archdsl.ir import Program


@dataclass(frozen=True)
class CheckArgs:
    spec: Path
    as_json: bool = False
    depth: int = 2
    model: str | None = None
    ir: bool = False
    verify: bool = False
    rf: bool = False


FLAGS = {"--json": "as_json", "--ir": "ir", "--verify": "verify", "--rf": "rf"}


def parse_check_args(argv: list[str]) -> CheckArgs | None:
    """The arguments of `archdsl check`, or None for anything but the plain forms."""
    flags: dict[str, bool] = {}
    depth, model, specs = 2, None, []
    items = iter(argv)
    for item in items:
        name, eq, value = item.partition("=")
        if item in FLAGS:
            flags[FLAGS[item]] = True
        elif name in ("--depth", "--model"):
            value = value if eq else next(items, "")
            if name == "--model" and value and not value.startswith("-"):
                model = value
            elif name == "--depth" and value.lstrip("-").isdigit():
                depth = int(value)
            else:
                return None
        elif item.startswith("-") or not item:
            return None
        else:
            specs.append(item)
    if len(specs) != 1:
        return None
    return CheckArgs(Path(specs[0]), depth=depth, model=model, **flags)


def run_check(args: CheckArgs) -> None:
    """Check a spec and print its report; exit 1 when it has errors."""
    # What a check builds (AST, IR, rows) lives until the process ends, and
    # the cycle collector's passes over it only cost time: 10% of a large spec.
    gc.disable()
    as_json = args.as_json
    program = load_or_exit(args.spec, args.model, as_json=as_json or args.ir)
    train_problems = _check_train_sections(program)
    if train_problems:
        if as_json or args.ir:
            from archdsl.report.json_report import check_json

            print(json.dumps(check_json([], train_problems)))
        else:
            print_diagnostics(train_problems, program.sources)
        raise SystemExit(1)
    if args.ir:
        print(program.model_dump_json(indent=1, exclude={"sources"}))
        return
    if args.verify:
        from archdsl.cli.needs import require_torch

        require_torch("check --verify", "torch")
    results = _verify(program) if args.verify else []
    problems = [m.diagnostic() for result in results for m in result.mismatches]
    if as_json:
        from archdsl.report.json_report import check_json, model_json

        objects = [model_json(m) for m in program.models]
        for obj, result in zip(objects, results, strict=False):
            obj["verify"] = result.as_json()
        warnings = [w for m in program.models for w in m.warnings]
        print(json.dumps(check_json(objects, warnings + problems)))
    else:
        _print_tables(program, args)
        for m, result in zip(program.models, results, strict=False):
            if not result.mismatches:
                print(
                    f"verified {m.name} against torch ({result.device} device): "
                    f"{result.nodes:,} nodes, {result.params:,} params, "
                    f"{result.buffers:,} buffers agree with the IR"
                )
        if problems:
            print_diagnostics(problems, program.sources)
    if problems:
        raise SystemExit(1)


def _print_tables(program: Program, args: CheckArgs) -> None:
    from archdsl.report.table import model_table

    colour = shows_colour(sys.stdout)
    for m in program.models:
        fields = None
        if args.rf:
            from archdsl.analysis.receptive_field import receptive_fields
            from archdsl.ir import is_chain

            fields = receptive_fields(m) or {}
            if not is_chain(m):
                print(
                    f"note: the receptive field is not computed for `{m.name}`, "
                    "a graph of named values",
                    file=sys.stderr,
                )
        depth = None if args.depth < 0 else args.depth
        write_lines(model_table(m, depth, str(args.spec), fields), sys.stdout, colour)


def _check_train_sections(program: Program) -> list[Diagnostic]:
    """Validate each train section as `archdsl train` would, without torch or data."""
    problems: list[Diagnostic] = []
    sections = [m for m in program.models if m.train]
    if not sections:
        return problems
    from archdsl.diagnostics import ArchError
    from archdsl.train.resolve import NO_DATA, train_config

    for m in sections:
        try:
            train_config(m)
        except ArchError as exc:
            problems += [d for d in exc.diagnostics if d.code != NO_DATA]
    return problems


def _verify(program: Program) -> list[Verified]:
    """Build each model with torch and compare it with the IR, node by node."""
    from archdsl.backend.allocation import TooLarge
    from archdsl.backend.verify import verify

    try:
        return [verify(m) for m in program.models]
    except TooLarge as exc:
        fail(str(exc), 1)
