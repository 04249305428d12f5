"""A run folder's checkpoint: weights, optimiser state, and what the run was.

- `last.safetensors`, `best.safetensors`: the model's weights and buffers.
- `state.pt`: optimiser and scheduler state, random number generator states,
  and the progress inside an interrupted epoch; loaded with
  `torch.load(weights_only=True)`, which unpickles tensors and plain
  containers and nothing that could run code.
- `state.json`: epoch, step, status, best accuracy, history, and the hashes
  and summaries of the model and configuration that `--resume` compares.
- `top/epoch-<E>.safetensors` (with `keep_best` above 1): the weights of each
  of the best epochs; an epoch's file is carried to each new set, as `best`
  is, for as long as it stays among them.

The four files are one set, written into a fresh folder `ckpt-<step>/` and
flushed to disk; then one rename points the symbolic link `checkpoint` at
it, and only then are older sets removed. A kill at any moment leaves the
last committed set whole, `best` agreeing with its `state.json`; what the
kill left half-written is removed when the folder is next opened. The run
folder's `last.safetensors`, `best.safetensors` and `state.json` are links
through `checkpoint`, so they always show the committed set.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_safetensors
from safetensors.torch import save as save_safetensors
from torch import nn

from archdsl.backend.allocation import TooLarge, check_file_fits
from archdsl.train.atomic import (
    crash_point,
    link_atomic,
    remove_temporaries,
    sync_folder,
    write_durable,
)
from archdsl.train.errors import TrainError
from archdsl.train.run_state import check_trainer_state, read_run_state

LAST = "last.safetensors"
BEST = "best.safetensors"
STATE_PT = "state.pt"
STATE_JSON = "state.json"
TOP = "top"
POINTER = "checkpoint"
_SET = re.compile(r"ckpt-\d+(\.\d+)?")


@dataclass
class Checkpoint:
    info: dict[str, Any]  # state.json
    state: dict[str, Any]  # state.pt
    weights: dict[str, torch.Tensor]


def weights_bytes(module: nn.Module, step: int, metadata: dict[str, str] | None = None) -> bytes:
    """The weights as safetensors; `metadata` says how to use them (see `shipping`)."""
    tensors = {k: v.detach().cpu().contiguous() for k, v in module.state_dict().items()}
    return save_safetensors(tensors, metadata={**(metadata or {}), "step": str(step)})


def save(
    out: Path,
    module: nn.Module,
    state: dict[str, Any],
    info: dict[str, Any],
    best: bool,
    metadata: dict[str, str] | None = None,
    top: list[int] | None = None,
    new: int | None = None,
) -> None:
    """Commit a new set; TrainError (the last set kept) when the disk refuses it.

    `top`: the epochs whose weights the set keeps in `top/` (none: no such folder);
    `new`: the one among them whose weights are this set's `last`."""
    previous = committed(out)
    try:
        folder = _new_set(out, info["step"], previous)
        write_durable(folder / LAST, weights_bytes(module, info["step"], metadata))
        buffer = io.BytesIO()
        torch.save(state, buffer)
        write_durable(folder / STATE_PT, buffer.getvalue())
        write_durable(folder / STATE_JSON, json.dumps(info, indent=1).encode())
        if best:
            _same_file(folder / LAST, folder / BEST)
        elif previous is not None and (previous / BEST).is_file():
            _same_file(previous / BEST, folder / BEST)
        if top is not None:
            _keep_top(folder, previous, top, new)
        sync_folder(folder)
        if previous != out:  # the links go through the pointer: made first, right at once
            _show_links(out, top is not None)
        link_atomic(out / POINTER, folder.name)
        if previous == out:  # a run folder from before sets: its files give way to links
            _show_links(out, top is not None)
            (out / STATE_PT).unlink(missing_ok=True)
    except OSError as exc:
        raise TrainError(
            f"cannot write a checkpoint in {out}: {exc.strerror or exc}; {_kept(out, previous)}"
        ) from None
    for old in out.glob("ckpt-*"):
        if old != folder:
            crash_point()
            shutil.rmtree(old, ignore_errors=True)


def committed(out: Path) -> Path | None:
    """The folder of the committed set; `out` itself for a run saved before sets."""
    pointer = out / POINTER
    if pointer.is_symlink():
        name = os.readlink(pointer)
        if not _SET.fullmatch(name) or not (out / name).is_dir():
            raise TrainError(f"{pointer} points to {name!r}, not a checkpoint of this folder")
        return out / name
    legacy = out / STATE_JSON
    if legacy.is_file() and not legacy.is_symlink():
        return out
    return None


def clean(out: Path) -> None:
    """Remove what a killed run left half-written: temporary files, uncommitted sets."""
    remove_temporaries(out)
    current = committed(out)
    for folder in out.glob("ckpt-*"):
        if folder != current:
            shutil.rmtree(folder, ignore_errors=True)


def _new_set(out: Path, step: int, previous: Path | None) -> Path:
    name, n = f"ckpt-{step:09d}", 0
    while (out / name) == previous:  # the same step saved twice: keep the committed one
        n += 1
        name = f"ckpt-{step:09d}.{n}"
    folder = out / name
    if folder.exists():
        shutil.rmtree(folder)
    crash_point()
    folder.mkdir()
    return folder


def _same_file(source: Path, target: Path) -> None:
    """`target` holds `source`'s bytes: a hard link where the file system allows one."""
    crash_point()
    try:
        os.link(source, target)
    except OSError:
        write_durable(target, source.read_bytes())


def top_name(epoch: int) -> str:
    return f"epoch-{epoch}.safetensors"


def _keep_top(folder: Path, previous: Path | None, top: list[int], new: int | None) -> None:
    """The set's `top/`: this epoch's weights if it is `new`, the rest from the last set."""
    kept = folder / TOP
    crash_point()
    kept.mkdir()
    for epoch in top:
        source = folder / LAST if epoch == new else (previous or folder) / TOP / top_name(epoch)
        if source.is_file():  # a run saved before top-k kept only its best
            _same_file(source, kept / top_name(epoch))
    sync_folder(kept)


def _show_links(out: Path, top: bool = False) -> None:
    """The run folder's own names for the committed files: made once, a rename each.

    `best.safetensors` dangles while no epoch has finished.
    """
    for name in (STATE_JSON, BEST, LAST, *([TOP] if top else [])):
        link = out / name
        target = f"{POINTER}/{name}"
        if not (link.is_symlink() and os.readlink(link) == target):
            link_atomic(link, target)


def _kept(out: Path, previous: Path | None) -> str:
    if previous is None:
        return "no checkpoint was saved"
    if previous == out:
        return "the last checkpoint is kept"
    step = int(previous.name.removeprefix("ckpt-").partition(".")[0])
    return f"the checkpoint at step {step} is kept"


def load(out: Path) -> Checkpoint:
    """The committed checkpoint; TrainError naming any file missing, damaged or torn."""
    folder = committed(out)
    if folder is None:
        raise TrainError(f"there is no run to resume in {out}: no checkpoint was saved there")
    info = read_run_state(folder / STATE_JSON)
    weights, meta = read_weights(folder / LAST)
    try:
        loaded = torch.load(folder / STATE_PT, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise TrainError(f"{folder / STATE_PT} is missing; the run cannot be resumed") from None
    except Exception as exc:  # damaged files fail in many ways; all mean the same
        raise TrainError(
            f"{folder / STATE_PT} is damaged and cannot be resumed from ({exc})"
        ) from None
    state = check_trainer_state(loaded, folder / STATE_PT)
    steps = {STATE_JSON: info["step"], LAST: meta.get("step"), STATE_PT: state["step"]}
    if len({str(s) for s in steps.values()}) != 1:
        shown = ", ".join(f"{name} at step {step}" for name, step in steps.items())
        raise TrainError(f"the checkpoint in {out} is torn ({shown}); it cannot be resumed")
    return Checkpoint(info, state, weights)


def read_weights(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """A safetensors file's tensors and metadata; TrainError when missing or damaged.

    Only a regular file is read, and only when it fits in memory: a device or a
    fifo (`/dev/zero`) would be read forever.
    """
    try:
        found = path.stat()
        if not stat.S_ISREG(found.st_mode):
            raise TrainError(f"{path} is not a regular file; give a .safetensors file")
        check_file_fits(path, found.st_size)
        data = path.read_bytes()
    except FileNotFoundError:
        raise TrainError(f"weights file not found: {path}") from None
    except TooLarge as exc:
        raise TrainError(str(exc)) from None
    except OSError as exc:
        raise TrainError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        tensors = load_safetensors(data)
        meta = _metadata(data)
    except (SafetensorError, ValueError, OverflowError) as exc:
        raise TrainError(f"{path} is not a readable safetensors file ({exc})") from None
    return tensors, meta


def _metadata(data: bytes) -> dict[str, str]:
    """The `__metadata__` of a safetensors header: 8 bytes of length, then JSON."""
    length = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + length])
    meta = header.get("__metadata__") or {}
    return {str(k): str(v) for k, v in meta.items()}


def load_into(module: nn.Module, weights: dict[str, torch.Tensor], source: Path | str) -> None:
    """Put `weights` into `module`; TrainError naming what does not fit."""
    own = module.state_dict()
    missing = [k for k in own if k not in weights]
    extra = [k for k in weights if k not in own]
    wrong = [
        f"{k} {list(weights[k].shape)} (the model has {list(v.shape)})"
        for k, v in own.items()
        if k in weights and weights[k].shape != v.shape
    ]
    problems = []
    if missing:
        problems.append("missing " + ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else ""))
    if extra:
        problems.append(
            "not in the model " + ", ".join(extra[:5]) + (" ..." if len(extra) > 5 else "")
        )
    if wrong:
        problems.append("shaped differently " + ", ".join(wrong[:5]))
    if problems:
        raise TrainError(f"the weights in {source} do not fit this model: " + "; ".join(problems))
    module.load_state_dict(weights)
