"""How fast is `archdsl check`?

1. Whole-process wall time, the commands alternating round by round in one
   run: `archdsl check specs/resnet152.arch` (targets: at most 3.5x
   `python -c "import lark"` and at most 0.2 s), the same with `--json`, and a
   flat spec of 10,000 lines `conv(4, 3x3, padding=1) -> relu` (20,000
   layers; target: at most 1.0 s). With --torch, also `python -c "import
   torch"` and a torchinfo summary of ResNet-152 (when torchinfo is installed).
2. Whole-process wall time of refusing each spec that would expand without
   bound (the ones `tests/test_limits.py` checks).
3. In-process parse and elaboration of generated specs of 1,000 and 10,000
   layers, to show both are linear in the size of the model.
4. The same for generated graphs of 5,000, 10,000 and 20,000 nodes: named
   values, merges of three values, and skips reaching seven merges back.

    python bench/check_speed.py [--runs 15] [--torch]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TORCHINFO = (
    "import sys; sys.path.insert(0, 'bench')\n"
    "import torchinfo\n"
    "from handwritten import resnet152\n"
    "torchinfo.summary(resnet152(), input_size=(1, 3, 224, 224), verbose=0)\n"
)


def timed(cmd: list[str], status: int = 0) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of a command that must
    exit with `status`. CPU time moves far less than wall time with the load."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    cwd = str(ROOT)
    if cmd[0] == "--baseline":  # ["--baseline", DIR, *cmd]: that checkout's archdsl
        # Run there too: `python -m` puts the working directory first on the path.
        env["PYTHONPATH"] = cwd = cmd[1]
        cmd = cmd[2:]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, capture_output=True, env=env)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != status:
        raise SystemExit(f"{' '.join(cmd)} exited {done.returncode}:\n{done.stderr.decode()}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return elapsed, cpu


def race(commands: dict[str, list[str]], runs: int) -> dict[str, list[tuple[float, float]]]:
    """Wall and CPU times of each command, run in turn round by round (after one
    warm-up round), so that a change in the machine's load touches every command
    alike."""
    times: dict[str, list[tuple[float, float]]] = {label: [] for label in commands}
    for round_ in range(runs + 1):
        for label, cmd in commands.items():
            result = timed(cmd)
            if round_:
                times[label].append(result)
    return times


def wall(cmd: list[str], runs: int, status: int = 0) -> tuple[float, float]:
    """Median and best wall time of a command, in seconds, after one warm-up run."""
    times = [timed(cmd, status)[0] for _ in range(runs + 1)][1:]
    return statistics.median(times), min(times)


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
    lines = ["model deep {", "  input [4, 32, 32]"]
    lines += ["  conv(4, 3x3, padding=1) -> relu"] * (layers // 2)
    lines.append("}")
    return "\n".join(lines) + "\n"


def generated_dag(nodes: int) -> str:
    """A graph of about `nodes` ops: per group a conv, a relu and a merge that also
    reads the value seven groups back."""
    lines = ["model dag {", "  input [8, 8, 8]", "  v0 = conv(8, 1x1)"]
    for i in range(1, nodes // 3 + 1):
        lines.append(f"  a{i} = v{i - 1} -> conv(8, 1x1, bias=false)")
        lines.append(f"  b{i} = relu")
        lines.append(f"  v{i} = add(a{i}, b{i}, v{max(0, i - 7)})")
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
    parser.add_argument("--torch", action="store_true", help="also time torch and torchinfo")
    parser.add_argument(
        "--baseline", type=Path, help="another archdsl checkout to race against, in the same run"
    )
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    python = sys.executable
    archdsl = shutil.which("archdsl", path=str(Path(python).parent)) or "archdsl"
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"load {os.getloadavg()[0]:.1f}, Python {platform.python_version()}; "
        f"median (best) of {args.runs} rounds, commands alternating"
    )
    with tempfile.TemporaryDirectory() as tmp:
        flat = Path(tmp) / "flat10k.arch"
        flat.write_text(generated(20_000))
        check = [archdsl, "check", "specs/resnet152.arch"]
        commands = {
            "archdsl check specs/resnet152.arch": check,
            'python -c "import lark"': [python, "-c", "import lark"],
            "archdsl check specs/resnet152.arch --json": [*check, "--json"],
            "archdsl check flat spec, 10,000 lines": [archdsl, "check", str(flat)],
        }
        if args.baseline is not None:
            base = ["--baseline", str(args.baseline.resolve()), python, "-m", "archdsl", "check"]
            commands["baseline: check specs/resnet152.arch"] = [*base, "specs/resnet152.arch"]
            commands["baseline: check flat spec, 10,000 lines"] = [*base, str(flat)]
        if args.torch:
            commands['python -c "import torch"'] = [python, "-c", "import torch"]
            try:
                import torchinfo  # noqa: F401

                commands["torchinfo summary of ResNet-152"] = [python, "-c", TORCHINFO]
            except ImportError:
                print("torchinfo is not installed: its row is skipped")
        times = race(commands, args.runs)
    print(f"  {'':<46} {'wall':>7}  {'(best)':>7}  {'CPU':>7}")
    for label, values in times.items():
        walls, cpus = [w for w, _ in values], [c for _, c in values]
        print(
            f"  {label:<46} {statistics.median(walls):6.3f} s ({min(walls):6.3f}) "
            f"{statistics.median(cpus):6.3f} s"
        )
    rounds = list(zip(*(times[k] for k in list(commands)[:2]), strict=True))
    for i, kind in enumerate(("wall", "CPU")):
        ratios = [check[i] / lark[i] for check, lark in rounds]
        print(
            f"  check ResNet-152 / import lark, {kind}: median of the rounds' ratios "
            f"{statistics.median(ratios):.2f}x, best {min(ratios):.2f}x"
        )

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
