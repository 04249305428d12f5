"""How big are `archdsl graph` drawings? Width x height of each zoo drawing as PNG
(Graphviz's 96 dpi, labels at their own size), its aspect, its columns, and the
CPU time `dot` took to lay it out (median of --runs).

    python bench/graph_sizes.py [--runs 3]
"""

from __future__ import annotations

import argparse
import resource
import statistics
import struct
import subprocess
from pathlib import Path

import archdsl
from archdsl.graph.columns import fold
from archdsl.graph.diagram import Direction, build_diagram
from archdsl.graph.dot import to_dot

ROOT = Path(__file__).resolve().parent.parent
# (spec, depth: None opens every block, direction)
DRAWINGS: list[tuple[str, int | None, Direction]] = [
    ("resnet50", 1, "TB"),
    ("resnet50", None, "TB"),
    ("resnet50", 1, "LR"),
    ("resnet50", None, "LR"),
    ("googlenet", 1, "TB"),
    ("unet", 1, "TB"),
    ("vit_b_16", 1, "TB"),
    ("inception_v3", 1, "TB"),
    ("vgg16", 1, "TB"),
    ("efficientnet_b0", None, "TB"),
]


def png_size(dot_text: str) -> tuple[int, int, float]:
    """(width, height) of the PNG `dot` draws, and the CPU seconds it took."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    png = subprocess.run(["dot", "-Tpng"], input=dot_text.encode(), capture_output=True).stdout
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    width, height = struct.unpack(">II", png[16:24])
    return width, height, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    print("| drawing | px (w x h) | aspect | columns | dot CPU |")
    print("|---|--:|--:|--:|--:|")
    for name, depth, direction in DRAWINGS:
        model = archdsl.load(ROOT / "specs" / f"{name}.arch").model()
        diagram = build_diagram(model, depth, direction)
        text = to_dot(diagram)
        sizes = [png_size(text) for _ in range(runs)]
        width, height, _ = sizes[0]
        cpu = statistics.median(s[2] for s in sizes)
        folded = fold(diagram)
        flags = (" --expand" if depth is None else "") + (" --rankdir LR" * (direction == "LR"))
        aspect = max(width, height) / min(width, height)
        columns = len(folded.heads) if folded else 1
        print(f"| {name}{flags} | {width} x {height} | 1:{aspect:.1f} | {columns} | {cpu:.2f} s |")


if __name__ == "__main__":
    main()
