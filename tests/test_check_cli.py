"""`archdsl check` end to end: counts, exit codes, JSON, and no torch."""

from __future__ import annotations

import json

from tests.helpers import loaded_after, run_cli


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


def test_check_never_imports_torch() -> None:
    args = ["check", "specs/resnet50.arch"]
    assert loaded_after(args, ["torch", "torch.nn"]) == [False, False]


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
