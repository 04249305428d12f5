"""Diagnostics of named values that the golden wrong specs cannot hold: a warning
exits 0, and the cases whose wording depends on a longer path of names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import archdsl
from tests.helpers import run_cli

UNUSED = """model net {
  input x: [8]
  spare = linear(4)
  y = x -> linear(8)
  aux = y -> linear(2)
  y -> linear(3)
}
"""


def test_a_value_never_used_is_a_warning(tmp_path: Path) -> None:
    spec = tmp_path / "unused.arch"
    spec.write_text(UNUSED)
    result = run_cli("check", spec.name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    heads = [line for line in result.stderr.splitlines() if ": warning: " in line]
    assert heads == [
        "unused.arch:3:3: warning: value `spare` is never used",
        "unused.arch:5:3: warning: value `aux` is never used",
    ]
    assert "error" not in result.stderr
    assert "Output       [N, 3]" in result.stdout


def test_check_json_carries_the_warning(tmp_path: Path) -> None:
    spec = tmp_path / "unused.arch"
    spec.write_text(UNUSED)
    result = run_cli("check", spec.name, "--json", cwd=tmp_path)
    assert result.returncode == 0
    assert result.stderr == ""
    report = json.loads(result.stdout)
    assert report["ok"] is True
    found = [
        (d["severity"], d["code"], d["span"]["line"], d["span"]["col"])
        for d in report["diagnostics"]
    ]
    assert found == [("warning", "unused", 3, 3), ("warning", "unused", 5, 3)]


def test_a_value_read_only_for_its_shape_is_used() -> None:
    spec = """model net {
  input x: [3, 8, 8]
  probe = conv(5, 1x1)
  conv(probe.channels * 2, 1x1)
}
"""
    model = archdsl.load(spec).model()
    assert model.output == (10, 8, 8)
    assert model.warnings == []


def test_a_cycle_through_three_values_names_them_in_order() -> None:
    spec = """model net {
  input x: [8]
  a = add(x, c)
  b = a -> linear(8)
  c = b -> linear(8)
  linear(2)
}
"""
    with pytest.raises(archdsl.ArchError) as info:
        archdsl.load(spec)
    (diag,) = info.value.diagnostics
    assert diag.code == "cycle"
    assert diag.message == "values depend on each other in a cycle: a -> c -> b -> a"
    assert diag.span is not None and (diag.span.line, diag.span.col) == (3, 14)


def test_errors_inside_a_block_value_stay_silent_downstream() -> None:
    """A merge that fails leaves its value unknown; what reads it is not reported again."""
    spec = """model net {
  input x: [8]
  a = linear(4)
  b = add(x, a)
  c = b -> linear(2)
  add(c, c)
}
"""
    with pytest.raises(archdsl.ArchError) as info:
        archdsl.load(spec)
    assert [(d.code, d.span.line if d.span else 0) for d in info.value.diagnostics] == [
        ("shape", 4)
    ]
