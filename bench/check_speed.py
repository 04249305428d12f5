"""How fast is `archdsl check`?

1. Whole-process wall time of `archdsl check specs/resnet152.arch`, beside
   `python -c "import torch"`, a torchinfo summary of the same network (when
   torchinfo is installed), and the bare import of the libraries `check`
   is built on (typer, lark, pydantic, rich): the floor no check can beat.
2. Whole-process wall time of refusing each spec that would expand without
   bound (the ones `tests/test_limits.py` checks): a second at most.
3. In-process parse and elaboration of generated specs of 1,000 and 10,000
   layers, to show elaboration is linear in the size of the model.
4. The same for generated graphs of 5,000, 10,000 and 20,000 nodes: named
   values, merges of three values, and skips reaching seven merges back.

    python bench/check_speed.py [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FLOOR = (
    "import typer, lark, rich.console, rich.text\n"
    "from pydantic import BaseModel\n"
    "class A(BaseModel):\n"
    "    x: int\n"
    "A(x=1)\n"
)

TORCHINFO = (
    "import sys; sys.path.insert(0, 'bench')\n"
    "import torchinfo\n"
    "from handwritten import resnet152\n"
    "torchinfo.summary(resnet152(), input_size=(1, 3, 224, 224), verbose=0)\n"
)


def wall(cmd: list[str], runs: int, status: int = 0) -> tuple[float, float]:
    """Median and best wall time of a command, in seconds, after one warm-up run."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    times = []
    for _ in range(runs + 1):
        start = time.perf_counter()
        done = subprocess.run(cmd, cwd=ROOT, capture_output=True, env=env)
        times.append(time.perf_counter() - start)
        if done.returncode != status:
            raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr.decode()}")
    return statistics.median(times[1:]), min(times[1:])


def refusals(archdsl: str, runs: int) -> None:
    """Time `check` refusing each spec that would expand without bound."""
    from tests.test_limits import UNBOUNDED

    print(f"refusing specs that would expand without bound (median of {runs}):")
    with tempfile.TemporaryDirectory() as tmp:
        for name, (text, _) in UNBOUNDED.items():
            spec = Path(tmp) / f"{name}.arch"
            spec.write_text(text)
            median, _ = wall([archdsl, "check", str(spec), "--json"], runs, status=1)
            print(f"  {name:<46} {median:6.3f} s")


def generated(layers: int) -> str:
    """A flat spec of `layers` ops, one conv and one relu per line."""
    lines = ["model deep {", "  input [16, 32, 32]"]
    lines += ["  conv(16, 3x3, padding=1, bias=false) -> relu"] * (layers // 2)
    lines.append("}")
    return "\n".join(lines) + "\n"


def generated_dag(nodes: int) -> str:
    """A graph of about `nodes` ops: per group a conv, a relu and a merge that also
    reads the value seven groups back."""
    lines = ["model dag {", "  input [8, 8, 8]", "  v0 = conv(8, 1x1)"]
    for i in range(1, nodes // 3 + 1):
        lines.append(f"  a{i} = v{i - 1} -> conv(8, 1x1, bias=false)")
        lines.append("  b = relu")
        lines.append(f"  v{i} = add(a{i}, b, v{max(0, i - 7)})")
    lines.append("}")
    return "\n".join(lines) + "\n"


def in_process(text: str, runs: int) -> tuple[float, float, int]:
    """Median parse time and median elaboration time of a generated spec."""
    from archdsl.elaborate.program import elaborate
    from archdsl.syntax.imports import load_unit

    parses, elabs = [], []
    count = 0
    for _ in range(runs):
        start = time.perf_counter()
        unit = load_unit(text, "<generated>", None)
        parses.append(time.perf_counter() - start)
        start = time.perf_counter()
        program, diags = elaborate(unit)
        elabs.append(time.perf_counter() - start)
        assert not diags
        count = sum(1 for n in program.models[0].root.walk() if n.kind == "op")
    return statistics.median(parses), statistics.median(elabs), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    python = sys.executable
    archdsl = shutil.which("archdsl", path=str(Path(python).parent)) or "archdsl"
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; median (best) of {args.runs} runs"
    )
    check = [archdsl, "check", "specs/resnet152.arch"]
    rows = [
        ("archdsl check specs/resnet152.arch", check),
        ("archdsl check specs/resnet152.arch --json", [*check, "--json"]),
        ("import of typer+lark+pydantic+rich (floor)", [python, "-c", FLOOR]),
        ('python -c "import torch"', [python, "-c", "import torch"]),
    ]
    try:
        import torchinfo  # noqa: F401

        rows.append(("torchinfo summary of ResNet-152", [python, "-c", TORCHINFO]))
    except ImportError:
        print("torchinfo is not installed: its row is skipped")
    for label, cmd in rows:
        median, best = wall(cmd, args.runs)
        print(f"  {label:<46} {median:6.3f} s  ({best:.3f})")

    refusals(archdsl, 3)
    print("in-process, generated flat specs (median of 5):")
    results = {}
    for layers in (1_000, 10_000):
        parse, elab, count = in_process(generated(layers), 5)
        results[layers] = elab
        print(
            f"  {count:>6,} layers: parse {parse:6.3f} s, elaborate {elab:6.3f} s "
            f"({elab / count * 1e6:5.1f} us/layer)"
        )
    print(f"  elaboration 10,000 / 1,000 layers: {results[10_000] / results[1_000]:.1f}x")
    dags(5)


def dags(runs: int) -> None:
    print(f"in-process, generated graphs of named values (median of {runs}):")
    results = {}
    for nodes in (5_000, 10_000, 20_000):
        parse, elab, count = in_process(generated_dag(nodes), runs)
        results[nodes] = elab
        print(
            f"  {count:>6,} nodes: parse {parse:6.3f} s, elaborate {elab:6.3f} s "
            f"({elab / count * 1e6:5.1f} us/node)"
        )
    print(f"  elaboration 20,000 / 5,000 nodes: {results[20_000] / results[5_000]:.1f}x")


if __name__ == "__main__":
    main()
