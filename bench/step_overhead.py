"""Does a module built by archdsl train as fast as the same network written by hand?

Races the CIFAR ResNet-18 built from a spec against `handwritten.resnet18_cifar`,
forward plus backward at batch 64 on 3x32x32, alternating the two in one
process so that both see the same machine state. Then times building
ResNet-152 from its spec against constructing the hand-written one.

    python bench/step_overhead.py [--rounds 9] [--steps 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from handwritten import resnet18_cifar, resnet152  # noqa: E402

import archdsl  # noqa: E402

RESNET18_CIFAR = """
use "specs/lib/resnet.arch"
model resnet18_cifar {
  input [3, 32, 32]
  stem:   conv(64, 3x3, padding=1, bias=false) -> batchnorm -> relu
  layer1: basic_stage(64, 2)
  layer2: basic_stage(128, 2, stride=2)
  layer3: basic_stage(256, 2, stride=2)
  layer4: basic_stage(512, 2, stride=2)
  head:   avgpool(global) -> flatten -> linear(10)
}
"""


def step_timer(model: nn.Module, batch: torch.Tensor, steps: int) -> Callable[[], float]:
    def run() -> float:
        start = time.perf_counter()
        for _ in range(steps):
            model.zero_grad(set_to_none=True)
            model(batch).sum().backward()
        return (time.perf_counter() - start) / steps

    return run


def median_ratio(
    rounds: int, ours: Callable[[], float], theirs: Callable[[], float]
) -> tuple[float, float, float]:
    ours(), theirs()  # warm up
    a, b, ratios = [], [], []
    for i in range(rounds):
        # Alternate who goes first, so neither always inherits a warm cache.
        if i % 2:
            tb, ta = theirs(), ours()
        else:
            ta, tb = ours(), theirs()
        a.append(ta)
        b.append(tb)
        ratios.append(ta / tb)
    return statistics.median(a), statistics.median(b), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--steps", type=int, default=1)
    args = parser.parse_args()
    os.chdir(ROOT)
    torch.manual_seed(0)
    ours = archdsl.build(RESNET18_CIFAR)
    theirs = resnet18_cifar()
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    batch = torch.randn(64, 3, 32, 32)
    t_ours, t_theirs, ratio = median_ratio(
        args.rounds, step_timer(ours, batch, args.steps), step_timer(theirs, batch, args.steps)
    )
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    print(f"ResNet-18 CIFAR, batch 64, forward+backward per step (median of {args.rounds}):")
    print(f"  archdsl     {t_ours * 1000:8.1f} ms")
    print(f"  hand-written {t_theirs * 1000:7.1f} ms")
    print(f"  ratio        {ratio:7.3f}   (target <= 1.02)")

    program = archdsl.load("specs/resnet152.arch")
    build_times, hand_times = [], []
    for _ in range(5):
        start = time.perf_counter()
        archdsl.build(program)
        build_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        resnet152()
        hand_times.append(time.perf_counter() - start)
    start = time.perf_counter()
    archdsl.build("specs/resnet152.arch")
    from_text = time.perf_counter() - start
    print("ResNet-152 construction (median of 5):")
    print(f"  archdsl.build(program)  {statistics.median(build_times):6.3f} s")
    print(f"  hand-written            {statistics.median(hand_times):6.3f} s")
    print(f"  archdsl.build(path), parse and check included: {from_text:.3f} s")


if __name__ == "__main__":
    main()
