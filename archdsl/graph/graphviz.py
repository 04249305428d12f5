"""SVG and PNG through Graphviz's `dot` program."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


class GraphvizError(Exception):
    """`dot` is missing or refused the input; the message says what to do."""


FORMATS = {".svg": "svg", ".png": "png"}


def render(dot_text: str, target: Path) -> None:
    """Write `dot_text` drawn by Graphviz to `target`, in the format its suffix names."""
    drawing = draw(dot_text, FORMATS[target.suffix.lower()])
    try:
        target.write_bytes(drawing)
    except OSError as exc:
        raise GraphvizError(f"cannot write {target}: {exc.strerror}") from None


def draw(dot_text: str, fmt: str) -> bytes:
    """`dot_text` drawn by Graphviz as `fmt` (svg or png)."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizError(
            "Graphviz's `dot` program is needed for .svg and .png and was not found; "
            "install it (Debian and Ubuntu: `apt-get install graphviz`, the package "
            "`graphviz`), or write .dot or .mmd, which need nothing"
        )
    result = subprocess.run(
        [program, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True, check=False
    )
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip()
        raise GraphvizError(f"Graphviz's `dot` failed: {message or f'exit {result.returncode}'}")
    return result.stdout
