"""`archdsl check --json` has one versioned shape, docs/check.schema.json, for every outcome:
every zoo spec, every wrong spec, a usage error and a verified model."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from typer.testing import CliRunner

from archdsl.cli import app
from tests.helpers import ROOT, ZOO

WRONG = ROOT / "tests" / "wrong_specs"
SCHEMA_FILE = ROOT / "docs" / "check.schema.json"


@cache
def validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA_FILE.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def check_json(
    args: list[str], cwd: Path, monkeypatch: pytest.MonkeyPatch, exit_code: int
) -> dict[str, Any]:
    """`archdsl check ARGS --json` in process, its report validated against the schema."""
    monkeypatch.chdir(cwd)
    result = CliRunner().invoke(app, ["check", *args, "--json"])
    assert result.exit_code == exit_code, result.output
    report: dict[str, Any] = json.loads(result.stdout)
    validator().validate(report)
    return report


@pytest.mark.parametrize("name", ZOO)
def test_every_zoo_report_fits_the_schema(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    report = check_json([f"specs/{name}"], ROOT, monkeypatch, 0)
    assert report["ok"] is True
    assert report["diagnostics"] == []
    assert [m["name"] for m in report["models"]] == [Path(name).stem]
    assert all(m["nodes"] for m in report["models"])


@pytest.mark.parametrize("spec", sorted(WRONG.glob("*.arch")), ids=lambda p: p.stem)
def test_every_wrong_spec_report_fits_the_schema(
    spec: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = check_json([spec.name], WRONG, monkeypatch, 1)
    assert report["ok"] is False
    assert report["models"] == []
    assert report["diagnostics"][0]["severity"] == "error"


def test_a_usage_error_has_the_same_shape(monkeypatch: pytest.MonkeyPatch) -> None:
    report = check_json(["no_such.arch"], ROOT, monkeypatch, 2)
    assert report["version"] == 1
    assert report["ok"] is False
    [diag] = report["diagnostics"]
    assert (diag["code"], diag["message"], diag["span"]) == (
        "usage",
        "no such file: no_such.arch",
        None,
    )


def test_an_unknown_model_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    report = check_json(["specs/resnet18.arch", "--model", "resnet99"], ROOT, monkeypatch, 2)
    [diag] = report["diagnostics"]
    assert diag["code"] == "usage"
    assert "resnet99" in diag["message"]


def test_a_verified_report_fits_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    report = check_json(["specs/mlp.arch", "--verify"], ROOT, monkeypatch, 0)
    [model] = report["models"]
    assert model["verify"]["ok"] is True
    assert model["verify"]["params"] == 1_707_274


def test_the_schema_refuses_the_old_shapes() -> None:
    """The test can fail: a report without `version` or `models` does not validate."""
    old = {"model": "m", "params": 1, "diagnostics": []}
    with pytest.raises(jsonschema.ValidationError):
        validator().validate(old)
    with pytest.raises(jsonschema.ValidationError):
        validator().validate({"ok": False, "diagnostics": []})
