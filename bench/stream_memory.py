"""How much memory does a streamed image-folder run take, beside the model alone?

Writes IMAGES generated JPEG images (4 classes of coloured shapes on noise,
SIZE x SIZE) and measures the peak memory of three runs, each a fresh process:

- the model alone: `archdsl train` of the same spec, batch and settings on
  three batches of random inputs (`synthetic`): torch, the trainer, the
  weights, gradients, optimiser state and activations, and next to no data;
- `archdsl train` on the folder streamed (`stream=true`, WORKERS workers);
- the same run with the folder decoded into memory (`stream=false`), for contrast.

Memory is the peak, sampled every 20 ms, of the summed proportional set size
(PSS, /proc/PID/smaps_rollup) of the process and all its children: DataLoader
workers are forked and share pages with their parent, which RSS would count
once per process. The target: streamed / model alone < 1.5. Linux only.

    python bench/stream_memory.py [--images 2400] [--size 224] [--workers 2]
                                  [--batch 32] [--epochs 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SPEC = """
model stream_bench {{
  input [3, {size}, {size}]
  conv(16, 7x7, stride=4, padding=3, bias=false) -> batchnorm -> relu -> maxpool(2x2)
  conv(32, 3x3, padding=1, bias=false) -> batchnorm -> relu
  avgpool(global) -> flatten -> linear(4)
}}
"""


def write_images(root: Path, count: int, size: int) -> None:
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(0)
    colours = [(220, 40, 40), (40, 200, 40), (40, 40, 220), (220, 220, 40)]
    for i in range(count):
        label = i % 4
        folder = root / f"class{label}"
        folder.mkdir(parents=True, exist_ok=True)
        pixels = rng.integers(0, 120, (size, size, 3), dtype=np.uint8)
        image = Image.fromarray(pixels)
        x0, y0 = rng.integers(0, size // 2, 2)
        extent = int(rng.integers(size // 4, size // 2))
        ImageDraw.Draw(image).ellipse([x0, y0, x0 + extent, y0 + extent], fill=colours[label])
        image.save(folder / f"{i:05d}.jpg", quality=90)


def tree_pss_kib(pid: int) -> int:
    """The summed PSS of `pid` and every process below it, in KiB."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            for line in Path(f"/proc/{current}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def peak_memory(args: list[str]) -> tuple[float, float]:
    """Peak PSS of the process tree in MiB, and the seconds it ran."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    began = time.perf_counter()
    proc = subprocess.Popen(
        args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_pss_kib(proc.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample)
    sampler.start()
    _, err = proc.communicate()
    done.set()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(args)} failed:\n{err.decode()}")
    return peak / 1024, time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--images", type=int, default=2400)
    parser.add_argument("--size", type=int, default=224)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=1)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "images"
        write_images(folder, opts.images, opts.size)
        spec = Path(tmp) / "stream_bench.arch"
        spec.write_text(SPEC.format(size=opts.size))
        results = {}
        runs = {
            "alone": f"data=synthetic(samples={2 * opts.batch}, val_samples={opts.batch})",
            "true": f'data=imagefolder("{folder}", stream=true, workers={opts.workers})',
            "false": f'data=imagefolder("{folder}", stream=false)',
        }
        for name, data in runs.items():
            results[name] = peak_memory(
                [
                    sys.executable, "-m", "archdsl", "train", str(spec),
                    "--out", str(Path(tmp) / f"run-{name}"), "--set", data,
                    "--epochs", str(opts.epochs), "--batch", str(opts.batch),
                    "--device", "cpu", "--set", "threads=1",
                ]
            )  # fmt: skip
    raw = opts.images * 3 * opts.size * opts.size / 2**20
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores")
    print(f"{opts.images} images {opts.size}x{opts.size} ({raw:.0f} MiB decoded), "
          f"batch {opts.batch}, {opts.workers} workers, {opts.epochs} epoch(s)")  # fmt: skip
    alone = results["alone"][0]
    print(f"model alone:        {alone:7.0f} MiB")
    for stream, label in (("true", "streamed"), ("false", "in memory")):
        peak, seconds = results[stream]
        print(f"{label + ':':19} {peak:7.0f} MiB  {peak / alone:.2f}x  ({seconds:.0f} s)")
    ratio = results["true"][0] / alone
    print(f"target: streamed < 1.5x the model alone: {'met' if ratio < 1.5 else 'NOT met'}")


if __name__ == "__main__":
    main()
