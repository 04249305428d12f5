"""`archdsl.fit`: `archdsl train` from Python, on a built-in dataset or data of one's own.

    run = archdsl.fit("specs/digits_convnet.arch", epochs=3, lr=0.05)
    run = archdsl.fit(spec, data=(x, y), batch=64, **{"optimizer.momentum": 0.9})
    run = archdsl.fit(spec, data=my_dataset, val=my_val_dataset, out="runs/mine")
    run = archdsl.fit(spec, data=(x, y), out="runs/mine", resume=True)
    run = archdsl.fit(spec, init=Path("w.safetensors"), freeze=["stem", "layer1"])

Keyword arguments set keys of the train section as `--set` does (`lr` is
`optimizer.lr`; a dotted key goes in `**{...}`); a string value is read as
train-section text (`schedule="cosine(warmup=0.1)"`). The run folder,
checkpoints, resume and determinism are the command's.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import nn

from archdsl.ir import CallValue, ConfigValue, Model, Program
from archdsl.loader import load
from archdsl.train.checkpoint import BEST, LAST
from archdsl.train.config import TrainConfig
from archdsl.train.data.given import from_python
from archdsl.train.errors import TrainError
from archdsl.train.resolve import Override, train_config
from archdsl.train.run import train_run
from archdsl.train.run_folder import RunOptions
from archdsl.train.task_checks import task_of
from archdsl.train.value_text import read_value

# Keyword arguments that stand for a key of the train section, as the command's flags do.
SHORT_KEYS = {"lr": "optimizer.lr"}
DEFAULT_VAL = 0.2


@dataclass
class FitRun:
    """A finished run: its folder, its epochs, and the trained module."""

    out: Path
    config: TrainConfig
    history: list[dict[str, Any]]  # one record per epoch, as in metrics.jsonl
    best_epoch: dict[str, Any]  # the epoch with the best held-out accuracy
    module: nn.Module  # the weights after the last epoch (with `ema`, their average)

    @property
    def last(self) -> Path:
        return self.out / LAST

    @property
    def best(self) -> Path:
        return self.out / BEST


def fit(
    spec: str | Path | Program | Model,
    data: Any = None,
    *,
    val: Any = None,
    model: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    **overrides: Any,
) -> FitRun:
    """Train the model of `spec`; ArchError for a wrong spec or setting, TrainError else.

    `data` is a dataset's name as a train section writes it (`"digits(val=0.1)"`),
    `(x, y)` arrays, a torch `Dataset` or a `DataLoader`; `val` the held-out
    data in the same form (else a share `val` of `data` is held out).
    """
    ir = spec if isinstance(spec, Model) else _program(spec, model).model(model)
    given = None
    settings: list[Override] = []
    if isinstance(data, str):
        settings.append(_override("data", data))
    elif val is not None and data is None:
        raise TrainError("`val` needs `data` beside it")
    python_data = data is not None and not isinstance(data, str)
    fraction = overrides.pop("data.val", DEFAULT_VAL) if python_data else DEFAULT_VAL
    settings += [_override(SHORT_KEYS.get(k, k), v) for k, v in overrides.items()]
    if python_data:
        # The task (the spec's, or a keyword's) says what the targets must be.
        placeholder = Override("data", {"kind": "python"}, "data=...")  # type: ignore[arg-type]
        task = task_of(train_config(ir, [placeholder, *settings]))
        given, described = from_python(data, val, fraction, ir.output, task)
        described = {**described, "val": fraction}
        settings.insert(0, Override("data", described, "data=..."))  # type: ignore[arg-type]
    config = train_config(ir, settings)
    options = RunOptions(
        out=Path(out) if out is not None else Path("runs") / ir.name,
        resume=resume,
        command="archdsl.fit(...)",
        resume_hint="the same archdsl.fit(...) call with resume=True",
    )
    code, run = train_run(ir, config, options, data=given)
    if code == 1:
        raise TrainError(f"training diverged; the run folder {options.out} keeps what was saved")
    if code:
        raise KeyboardInterrupt(f"stopped; resume with the same call and resume=True ({code})")
    return FitRun(options.out, config, run.history, run.best, run.s.stepper.shipped)


def _program(spec: str | Path | Program, model: str | None) -> Program:
    return spec if isinstance(spec, Program) else load(spec, model=model)


def _override(key: str, value: Any) -> Override:
    """A keyword argument as `--set key=value` would give it."""
    shown = f"{key}={value!r}"
    if key == "init" and isinstance(value, Path):  # a weights file: `init from("...")`
        return Override(key, CallValue(name="from", args=[str(value)]), shown)
    if isinstance(value, Path) or (isinstance(value, str) and key.split(".")[-1] == "path"):
        return Override(key, str(value), shown)
    if isinstance(value, str):
        try:
            parsed: ConfigValue = read_value(value)
        except ValueError as exc:
            raise TrainError(f"{shown}: {exc}") from None
        return Override(key, parsed, shown)
    return Override(key, value, shown)
