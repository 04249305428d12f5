"""`archdsl check` end to end: counts, exit codes, JSON, and no torch."""

from __future__ import annotations

import json

import pytest

from tests.helpers import ROOT, SPECS, loaded_after, run_cli, run_python, start_cli


def test_resnet50_json_counts() -> None:
    result = run_cli("check", "specs/resnet50.arch", "--json")
    assert result.returncode == 0, result.stderr
    whole = json.loads(result.stdout)
    assert (whole["version"], whole["ok"], whole["diagnostics"]) == (1, True, [])
    [report] = whole["models"]
    assert report["name"] == "resnet50"
    assert report["params"] == 25_557_032
    assert report["macs"] == 4_089_184_256
    assert report["input"] == [3, 224, 224]
    assert report["output"] == [1000]
    assert report["buffers"] == 53_173
    first = report["nodes"][0]
    assert first["path"] == "stem"
    assert set(first) >= {"path", "op", "out_shape", "params", "macs", "span"}
    assert first["span"] == {
        "file": "specs/resnet50.arch",
        "line": 9,
        "col": 11,
        "end_line": 9,
        "end_col": 24,
    }
    convs = [n for n in report["nodes"] if n["op"] == "conv"]
    assert len(convs) == 53
    assert sum(n["params"] for n in report["nodes"] if n["depth"] == 0) == 25_557_032


@pytest.mark.parametrize("spec", ["resnet50", "vit_b_16", "unet", "inception_v3", "digits_gru"])
def test_check_never_imports_torch(spec: str) -> None:
    args = ["check", f"specs/{spec}.arch"]
    assert loaded_after(args, ["torch", "torch.nn"]) == [False, False]


@pytest.mark.parametrize("spec", ["resnet152", "vit_b_16", "unet", "efficientnet_b0"])
def test_check_imports_no_pydantic(spec: str) -> None:
    """Neither the op classes nor the IR need pydantic to check a spec (issue 12:
    start-up); `--ir` dumps through pydantic, and a refused argument is worded by it."""
    modules = ["pydantic", "pydantic_core", "typing_extensions"]
    for extra in ([], ["--json"]):
        assert loaded_after(["check", f"specs/{spec}.arch", *extra], modules) == [False] * 3
    assert loaded_after(["check", f"specs/{spec}.arch", "--ir"], modules[:1]) == [True]


def test_check_loads_neither_typer_nor_rich() -> None:
    """`archdsl check` answers without the CLI libraries (issue 12: start-up);
    `--help` still goes through typer."""
    for args in (["check", "specs/resnet50.arch"], ["check", "specs/resnet50.arch", "--json"]):
        assert loaded_after(args, ["typer", "rich", "click"]) == [False, False, False]


def test_the_ir_imports_no_pydantic() -> None:
    """The IR's classes are plain dataclasses; pydantic (and typing_extensions, which
    it brings) loads only when IR JSON is written or read (issue 12: start-up). The
    ops are stubbed here: they are the IR's only import from elsewhere."""
    ir_modules = sorted(
        f"archdsl.ir.{p.stem}" for p in (ROOT / "archdsl/ir").glob("*.py") if p.stem != "adapters"
    )
    code = (
        "import sys, types\n"
        "ops = sys.modules['archdsl.ops'] = types.ModuleType('archdsl.ops')\n"
        "ops.AnyOp = object\n"
        f"for name in {ir_modules!r}:\n"
        "    __import__(name)\n"
        "heavy = ('pydantic', 'pydantic_core', 'typing_extensions', 'annotated_types')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in heavy))\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    assert len(ir_modules) >= 8  # __init__, nodes, value, program, json_io, flow, ...
    assert result.stdout.strip() == "[]"


FAST_FORMS = [
    ["specs/resnet18.arch"],
    ["specs/resnet18.arch", "--depth", "-1", "--rf"],
    ["--depth=0", "specs/googlenet.arch"],
    ["specs/mlp.arch", "--json"],
    ["specs/mlp.arch", "--model", "mlp", "--ir"],
    ["specs/resnet18.arch", "--model=nope"],
    ["tests/wrong_specs/several_errors.arch"],
    ["tests/wrong_specs/several_errors.arch", "--json"],
    ["specs/missing.arch"],
]


@pytest.mark.parametrize("args", FAST_FORMS, ids=" ".join)
def test_fast_check_answers_as_the_typer_command_does(
    args: list[str], capfd: pytest.CaptureFixture[str]
) -> None:
    """The light parser of `archdsl check` and the typer command give the same
    output and exit status for every form the light one accepts."""
    from archdsl.cli.check_command import parse_check_args
    from archdsl.cli.typer_app import app

    assert parse_check_args(args) is not None
    fast = run_cli("check", *args)
    with pytest.raises(SystemExit) as typer_exit:
        app(["check", *args])
    out, err = capfd.readouterr()
    assert (fast.stdout, fast.stderr, fast.returncode) == (out, err, typer_exit.value.code)


@pytest.mark.parametrize("args", [["--help"], ["a.arch", "--depth"], ["a.arch", "-x"], []])
def test_other_check_forms_go_to_typer(args: list[str]) -> None:
    from archdsl.cli.check_command import parse_check_args

    assert parse_check_args(args) is None


def test_missing_file_is_a_usage_error() -> None:
    result = run_cli("check", "specs/no_such_model.arch")
    assert result.returncode == 2
    assert "no such file: specs/no_such_model.arch" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_flag_is_a_usage_error() -> None:
    result = run_cli("check", "specs/resnet50.arch", "--no-such-flag")
    assert result.returncode == 2
    assert "No such option" in result.stderr


def test_unknown_model_name_is_a_usage_error() -> None:
    result = run_cli("check", "specs/resnet50.arch", "--model", "resnet5")
    assert result.returncode == 2
    assert "no model `resnet5`" in result.stderr
    assert "did you mean `resnet50`?" in result.stderr


@pytest.mark.parametrize("command", [["check"], ["eject", "-o", "-"]])
def test_a_reader_that_leaves_early_gets_no_traceback(command: list[str]) -> None:
    """`archdsl check big.arch | head -1`: the command stops quietly, status 1 (click's
    convention, which the typer commands follow). The reader leaves before the first
    line is written, so that every write finds the pipe closed."""
    proc = start_cli(*command[:1], str(SPECS / "resnet152.arch"), *command[1:])
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 1
    assert err == ""
