"""Golden diagnostics: each spec in tests/wrong_specs/ has one mistake, and
`archdsl check` must report it with exactly the text in the `.expected` beside it.

A spec's first line declares, by hand, where its first diagnostic points and
its code: `# [FILE:]LINE:COL CODE: what is wrong`. Regenerating the expected
text (ARCHDSL_UPDATE_GOLDEN=1 pytest tests/test_wrong_specs.py) therefore
cannot move a diagnostic unnoticed; review every regenerated file by eye.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from archdsl.cli import app
from tests.helpers import run_cli

WRONG = Path(__file__).resolve().parent / "wrong_specs"
CASES = sorted(WRONG.glob("*.arch"))
UPDATE = os.environ.get("ARCHDSL_UPDATE_GOLDEN") == "1"

HEADER = re.compile(r"# (?:(?P<file>\S+\.arch):)?(?P<line>\d+):(?P<col>\d+) (?P<code>[\w-]+): .+")
# The first line of a rendered diagnostic: `FILE:LINE:COL: error: MESSAGE`.
HEAD = re.compile(r"(?P<file>\S+):(?P<line>\d+):(?P<col>\d+): error: (?P<message>.*)")


@dataclass(frozen=True)
class Where:
    file: str
    line: int
    col: int


def declared(spec: Path) -> tuple[Where, str]:
    """The location and code the spec's first line promises for its first diagnostic."""
    first = spec.read_text().split("\n", 1)[0]
    match = HEADER.fullmatch(first)
    assert match, f"{spec.name}: first line must be `# [FILE:]LINE:COL CODE: ...`"
    file = match["file"] or spec.name
    return Where(file, int(match["line"]), int(match["col"])), match["code"]


def heads(text: str) -> list[tuple[Where, str]]:
    """Location and message of every diagnostic in rendered text."""
    found = (HEAD.fullmatch(line) for line in text.splitlines())
    return [(Where(m["file"], int(m["line"]), int(m["col"])), m["message"]) for m in found if m]


def check(*args: str) -> subprocess.CompletedProcess[str]:
    """`archdsl check` run where the specs lie, so paths print as `NAME.arch`."""
    return run_cli("check", *args, cwd=WRONG)


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("spec", CASES, ids=lambda p: p.stem)
def test_rendered_diagnostics(spec: Path) -> None:
    result = check(spec.name)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    expected_file = spec.with_suffix(".expected")
    if UPDATE:
        expected_file.write_text(result.stderr)
    assert result.stderr == expected_file.read_text()
    where, _ = declared(spec)
    found = heads(result.stderr)
    assert found, result.stderr
    assert found[0][0] == where


@pytest.mark.parametrize("spec", CASES, ids=lambda p: p.stem)
def test_json_diagnostics(spec: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # In process, to spare a second interpreter per case; the text test above
    # already runs the CLI as a user does.
    monkeypatch.chdir(WRONG)
    result = CliRunner().invoke(app, ["check", spec.name, "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is False
    diags = report["diagnostics"]
    where, code = declared(spec)
    first = diags[0]
    assert first["code"] == code
    assert Where(first["span"]["file"], first["span"]["line"], first["span"]["col"]) == where
    # The same diagnostics as the text, in the same order.
    as_json = [
        (Where(d["span"]["file"], d["span"]["line"], d["span"]["col"]), d["message"]) for d in diags
    ]
    assert as_json == heads(spec.with_suffix(".expected").read_text())


# ---- several mistakes at once -------------------------------------------------------

MARK = "# <- error"


def test_every_independent_error_is_reported_once_in_order() -> None:
    """Each line marked `# <- error` holds one root cause; nothing else is reported."""
    spec = WRONG / "several_errors.arch"
    marked = [i for i, line in enumerate(spec.read_text().split("\n"), 1) if MARK in line]
    assert len(marked) >= 5
    result = check(spec.name, "--json")
    assert result.returncode == 1
    lines = [d["span"]["line"] for d in json.loads(result.stdout)["diagnostics"]]
    assert lines == marked
