"""Does `archdsl train` train as fast as a training loop written by hand?

Races `archdsl train specs/resnet20_cifar.arch` against a plain PyTorch loop
training `handwritten.resnet20_cifar` with the same data pipeline: CIFAR-10
batches held whole in memory (on the GPU when there is one), normalised, then
randomly cropped (padding 4) and flipped per batch; SGD with Nesterov
momentum, label smoothing 0.1, a one-cycle rate; bf16 autocast and
channels-last on a GPU. Each side runs in a fresh process, the two
alternating round by round; each reports the images per second of its last
epoch (training only, no evaluation). The target: archdsl at least 0.97 of
the hand-written loop, as the median of the rounds' ratios.

Without --data, batches in the official format are written with random
pixels (the speed does not depend on what the pixels show).

    python bench/train_throughput.py [--rounds 5] [--images 5120] [--batch 128]
                                      [--epochs 2] [--device auto] [--data DIR]
                                      [--threads N] [--compile]
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "resnet20_cifar.arch"
MEAN = [0.4914, 0.4822, 0.4465]
STD = [0.2470, 0.2435, 0.2616]
LR, MOMENTUM, WEIGHT_DECAY, SMOOTHING, WARMUP = 0.2, 0.9, 5e-4, 0.1, 0.25


def write_cifar(folder: Path, images: int) -> None:
    """Official-format batches with random pixels: five training batches and a test batch."""
    batches = folder / "cifar-10-batches-py"
    batches.mkdir(parents=True)
    rng = np.random.default_rng(0)
    sizes = [images // 5] * 5 + [max(images // 10, 100)]
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name, n in zip(names, sizes, strict=True):
        batch = {
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            b"labels": [int(v) for v in rng.integers(0, 10, n)],
        }
        (batches / name).write_bytes(pickle.dumps(batch, protocol=2))


# ---- archdsl's side ---------------------------------------------------------------


def ours(data: Path, args: argparse.Namespace, out: Path) -> float:
    settings = {
        "data": f"cifar10(mean={MEAN}, std={STD}, augment=[crop(32, padding=4), flip])",
        "optimizer": f"sgd(lr={LR}, momentum={MOMENTUM}, nesterov=true, "
        f"weight_decay={WEIGHT_DECAY})",
        "schedule": f"onecycle(warmup={WARMUP})",
        "loss": f"cross_entropy(label_smoothing={SMOOTHING})",
        # The same work as the hand-written loop, which decays every parameter.
        "no_decay": "false",
        "compile": "true" if args.compile else "false",
    }
    if args.threads:
        settings["threads"] = str(args.threads)
    command = [
        sys.executable, "-m", "archdsl", "train", str(SPEC), "-o", str(out),
        "--data", str(data), "--epochs", str(args.epochs), "--batch", str(args.batch),
        "--device", args.device,
    ]  # fmt: skip
    for key, value in settings.items():
        command += ["--set", f"{key}={value}"]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    last = (out / "metrics.jsonl").read_text().splitlines()[-1]
    return float(json.loads(last)["images_per_s"])


# ---- the hand-written side ----------------------------------------------------------


def handwritten(data: Path, args: argparse.Namespace) -> float:
    """Train the hand-written ResNet-20 as a PyTorch user would; last epoch's images/s."""
    import torch
    import torch.nn.functional as F

    sys.path.insert(0, str(ROOT / "bench"))
    from handwritten import resnet20_cifar

    cuda = args.device != "cpu" and torch.cuda.is_available()
    device = torch.device("cuda" if cuda else "cpu")
    if args.threads:
        torch.set_num_threads(args.threads)
    if cuda:
        torch.backends.cudnn.benchmark = True
    folder = data / "cifar-10-batches-py"
    parts = [
        pickle.loads((folder / f"data_batch_{i}").read_bytes(), encoding="bytes")
        for i in range(1, 6)
    ]
    x = torch.from_numpy(np.concatenate([p[b"data"] for p in parts]).reshape(-1, 3, 32, 32)).to(
        device
    )
    y = torch.tensor([label for p in parts for label in p[b"labels"]], device=device)
    scale = (1 / (255 * torch.tensor(STD, device=device))).view(1, 3, 1, 1)
    shift = (-torch.tensor(MEAN, device=device) / torch.tensor(STD, device=device)).view(1, 3, 1, 1)

    torch.manual_seed(0)
    model = resnet20_cifar().to(device)
    if cuda:
        model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    net = torch.compile(model) if args.compile else model
    opt = torch.optim.SGD(
        model.parameters(), lr=LR, momentum=MOMENTUM, nesterov=True,
        weight_decay=WEIGHT_DECAY, fused=cuda or None,
    )  # fmt: skip
    batch, steps = args.batch, len(x) // args.batch
    total, warm = args.epochs * steps, round(WARMUP * args.epochs * steps)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: (s + 1) / warm if s < warm else 1 - (s - warm) / (total - warm)
    )
    rows = torch.arange(32, device=device)
    speed = 0.0
    for epoch in range(args.epochs):
        gen = torch.Generator().manual_seed(epoch)
        order = torch.randperm(len(x), generator=gen).to(device)
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), device=device)
        start = time.perf_counter()
        for step in range(steps):
            idx = order[step * batch : (step + 1) * batch]
            images = x[idx].float() * scale + shift
            # Random crop of the zero-padded batch, and a random mirror.
            top = torch.randint(9, (batch, 1), generator=gen).to(device)
            left = torch.randint(9, (batch, 1), generator=gen).to(device)
            flip = (torch.rand(batch, generator=gen) < 0.5).to(device)
            padded = F.pad(images, (4, 4, 4, 4))
            b = torch.arange(batch, device=device)[:, None, None, None]
            c = torch.arange(3, device=device)[None, :, None, None]
            images = padded[b, c, (top + rows)[:, None, :, None], (left + rows)[:, None, None, :]]
            images = torch.where(flip[:, None, None, None], images.flip(3), images)
            if cuda:
                images = images.contiguous(memory_format=torch.channels_last)
            labels = y[idx]
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=cuda):
                out = net(images)
            loss = F.cross_entropy(out.float(), labels, label_smoothing=SMOOTHING)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            loss_sum += loss.detach() * batch
            correct += (out.argmax(1) == labels).sum()
        if cuda:
            torch.cuda.synchronize()
        speed = steps * batch / (time.perf_counter() - start)
        print(f"epoch {epoch + 1}: loss {float(loss_sum) / (steps * batch):.4f}", file=sys.stderr)
    return speed


def theirs(data: Path, args: argparse.Namespace) -> float:
    command = [
        sys.executable, __file__, "--handwritten", "--data", str(data),
        "--epochs", str(args.epochs), "--batch", str(args.batch), "--device", args.device,
    ] + (["--compile"] if args.compile else [])  # fmt: skip
    if args.threads:
        command += ["--threads", str(args.threads)]
    done = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])


# ---- the race ----------------------------------------------------------------------


def machine(device: str) -> str:
    import torch

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    text = f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__}"
    if device != "cpu" and torch.cuda.is_available():
        text += f", {torch.cuda.get_device_name()}"
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--images", type=int, default=5120, help="training images (no --data)")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    parser.add_argument("--compile", action="store_true", help="torch.compile both sides")
    parser.add_argument("--threads", type=int, help="CPU threads for both sides")
    parser.add_argument("--data", type=Path, help="a folder holding cifar-10-batches-py")
    parser.add_argument("--handwritten", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.handwritten:
        print(handwritten(args.data, args))
        return
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data
        if data is None:
            data = Path(tmp) / "data"
            write_cifar(data, args.images)
        a: list[float] = []
        b: list[float] = []
        for i in range(args.rounds):
            run = Path(tmp) / f"run{i}"
            # Alternate who goes first, so neither always meets the machine in one state.
            if i % 2:
                b.append(theirs(data, args))
                a.append(ours(data, args, run))
            else:
                a.append(ours(data, args, run))
                b.append(theirs(data, args))
            print(f"round {i + 1}: archdsl {a[-1]:,.0f} img/s, hand-written {b[-1]:,.0f} img/s")
    # The median of each round's ratio: a round's two runs meet the machine in one state.
    ratio = statistics.median(x / y for x, y in zip(a, b, strict=True))
    print(f"machine: {machine(args.device)}")
    print(
        f"ResNet-20 (CIFAR), batch {args.batch}, images/s of the last of {args.epochs} epochs, "
        f"median of {args.rounds} rounds:"
    )
    print(f"  archdsl train  {statistics.median(a):10,.0f}")
    print(f"  hand-written   {statistics.median(b):10,.0f}")
    print(f"  ratio          {ratio:10.3f}   (median of the rounds' ratios; target >= 0.97)")


if __name__ == "__main__":
    main()
