"""Helpers the tests share."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


def run_cli(*args: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `archdsl` in a fresh interpreter, as a user would; `timeout` guards hangs."""
    return subprocess.run(
        [sys.executable, "-m", "archdsl", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
