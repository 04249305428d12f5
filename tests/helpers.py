"""Helpers the tests share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run `archdsl` in a fresh interpreter, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "archdsl", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def loaded_after(args: list[str], modules: list[str]) -> list[bool]:
    """Run `archdsl ARGS` in a fresh interpreter; which of `modules` it imported."""
    code = (
        "import sys\n"
        f"sys.argv = ['archdsl', *{args!r}]\n"
        "from archdsl.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        f"print(*[m in sys.modules for m in {modules!r}])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return [word == "True" for word in result.stdout.strip().splitlines()[-1].split()]
