"""A whole run: set up, resume if asked, train epoch by epoch, checkpoint, report.

`train(model, config, options)` is the trainer's one entry point; it takes an
IR model and a validated configuration and knows nothing of the spec's text.
It returns the process's exit code: 0 when every epoch is done, 1 when the
loss diverged, 128 + the signal's number when a signal stopped it (after
saving a checkpoint that `--resume` continues from exactly).
"""

from __future__ import annotations

import math
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from rich.console import Console
from rich.markup import escape

from archdsl.ir import Model
from archdsl.train import checkpoint, failures, metrics
from archdsl.train.checkpoint import Checkpoint, load_into
from archdsl.train.config import TrainConfig
from archdsl.train.curves import NoCurves, plot
from archdsl.train.data.base import LoadedData
from archdsl.train.distributed import World, any_all, gather, start, stop, world_from_env
from archdsl.train.errors import TrainError
from archdsl.train.fingerprint import config_values, digest, model_layers
from archdsl.train.loop import EpochEnd, Totals, evaluate, global_totals, train_epoch
from archdsl.train.precision import used_precision
from archdsl.train.progress import Output, ProgressView
from archdsl.train.run_folder import RunOptions, open_run_folder
from archdsl.train.run_state import check_resumable
from archdsl.train.session import cuda_choices, open_session, pick_device, settled
from archdsl.train.signals import StopRequest
from archdsl.train.words import counted

FORMAT = 1


@dataclass
class Position:
    epoch: int = 0  # epochs finished
    epoch_step: int = 0  # steps taken into the unfinished epoch


def train(
    model: Model, config: TrainConfig, options: RunOptions, world: World | None = None
) -> int:
    return train_run(model, config, options, world)[0]


def train_run(
    model: Model,
    config: TrainConfig,
    options: RunOptions,
    world: World | None = None,
    data: LoadedData | None = None,
) -> tuple[int, Run]:
    """The exit code and the finished Run; `data` is what `archdsl.fit` was handed."""
    world = world or world_from_env()
    device = pick_device(config.device, world)
    start(world, device)
    try:
        with settled(config, model, device, world):
            run = Run(model, config, options, world, device, data)
            try:
                return run.run(), run
            finally:
                run.folder.close()
    finally:
        stop(world)


class Run:
    def __init__(
        self,
        model: Model,
        config: TrainConfig,
        options: RunOptions,
        world: World,
        device: torch.device,
        data: LoadedData | None = None,
    ) -> None:
        self.options = options
        self.out = options.out
        self.console = Output(highlight=False)
        self.errors = Console(stderr=True, highlight=False, soft_wrap=True)
        self.view = ProgressView(self.console, world.main, config.epochs)
        self.layers = model_layers(model)
        self.values = config_values(config)
        self.position = Position()
        self.history: list[dict[str, Any]] = []
        self.best: dict[str, Any] = {"epoch": 0}
        self.partial = Totals()
        self.gen_state: torch.Tensor | None = None
        self.rng: dict[str, Any] | None = None
        self.stop = StopRequest()
        # The run folder first: a refused resume must not wait for the data to load.
        self.folder = open_run_folder(options, world, self.layers, self.values)
        try:
            fresh = self.folder.resume is None
            self.s = open_session(model, config, world, device, data, pretrained=fresh)
            self.view.show_metric(self.s.objective.names[0], self.s.objective.percent)
            if self.folder.resume is not None:
                self._restore(self.folder.resume)
            self.folder.begin(_saved_config(model, config, world, device))
        except BaseException:
            self.folder.close()  # a fresh run that cannot start leaves no folder behind
            raise

    # ---- the run ------------------------------------------------------------------

    def run(self) -> int:
        s = self.s
        if self.position.epoch >= s.config.epochs:
            self.view.print(
                f"the run in {self.out} has finished its {counted(s.config.epochs, 'epoch')}"
            )
            return 0
        with self.stop as stop_request, self.view:
            self.console.on_closed = lambda: stop_request.request(signal.SIGPIPE)
            self.view.print(self._banner())
            for epoch in range(self.position.epoch + 1, s.config.epochs + 1):
                self._seed(epoch)
                end = train_epoch(
                    s,
                    epoch,
                    self.position.epoch_step,
                    self.gen_state,
                    self.partial,
                    stop_request,
                    self.view,
                )
                if end.outcome == "diverged":
                    return self._diverged(epoch, end)
                if end.outcome == "stopped":
                    self._checkpoint(epoch - 1, end)
                    return self._stopped(stop_request, epoch, end)
                if not self._finish_epoch(epoch, end):
                    return self._diverged(epoch, end)
                if end.stop_requested and epoch < s.config.epochs:
                    return self._stopped(stop_request, epoch + 1, EpochEnd("stopped", 0))
        self._wrap_up()
        return 0

    def _seed(self, epoch: int) -> None:
        """Dropout's randomness: a function of (seed, epoch, rank), or as saved mid-epoch."""
        if self.rng is not None:
            torch.set_rng_state(self.rng["cpu"])
            if self.rng.get("cuda") is not None and self.s.device.type == "cuda":
                torch.cuda.set_rng_state(self.rng["cuda"], self.s.device)
            self.rng = None
            return
        seed = (self.s.config.seed * 1_000_003 + epoch) * 4099 + self.s.world.rank
        torch.manual_seed(seed % 2**64)

    def _finish_epoch(self, epoch: int, end: EpochEnd) -> bool:
        """Evaluate, record and checkpoint a finished epoch; False if the weights diverged."""
        s = self.s
        totals = global_totals(end.totals, s)
        val_loss, val_metrics = evaluate(s)
        # The last step can break the weights after the last loss was checked.
        if not (math.isfinite(val_loss) and finite(s.module) and finite(s.stepper.shipped)):
            return False
        record = {
            "epoch": epoch,
            "step": epoch * s.train.steps,
            "train_loss": totals.loss / max(1, totals.count),
            **{f"train_{k}": v for k, v in s.objective.metrics(totals.sums, totals.count).items()},
            "val_loss": val_loss,
            **{f"val_{k}": v for k, v in val_metrics.items()},
            "lr": s.optimizer.param_groups[0]["lr"],
            "images_per_s": totals.count / max(totals.seconds, 1e-9),
            "seconds": totals.seconds,
        }
        key = f"val_{s.objective.names[0]}"  # higher is better
        improved = key not in self.best or record[key] > self.best[key]
        self.history.append(record)
        if improved:
            self.best = {key: record[key], "val_loss": val_loss, "epoch": epoch}
        if s.world.main:
            metrics.append(self.out, record)
        # The line first: a reader gone from standard output makes this checkpoint the last,
        # as does a signal during the evaluation; all processes agree on it.
        self.view.epoch_line(record, improved)
        asked = any_all([end.stop_requested, self.stop.requested], s.world, s.device)
        end.stop_requested = any(asked)
        self._checkpoint(
            epoch, EpochEnd("done", 0, stop_requested=end.stop_requested), best=improved
        )
        self.position = Position(epoch, 0)
        self.partial, self.gen_state = Totals(), None
        return True

    def _wrap_up(self) -> None:
        if not self.s.world.main:
            return
        title = f"{self.s.model.name} on {self.s.data.name}"
        curves = self._curves(title)
        self.view.summary(title, self.history, self.best, self.out)
        self.view.print(curves)

    def _curves(self, title: str) -> str:
        try:
            return f"curves: {plot(self.out, self.history, title, self.s.objective.names[0])}"
        except NoCurves as exc:
            return f"curves.png skipped: {exc}"

    # ---- checkpoints ----------------------------------------------------------------

    def _checkpoint(self, epochs_done: int, end: EpochEnd, best: bool = False) -> None:
        """Save where the run stands; every process takes part (its RNG state is gathered)."""
        s = self.s
        rng = gather(_rng_state(s.device), s.world)
        if not s.world.main:
            return
        stopped = end.outcome == "stopped"
        epoch_step = end.steps if stopped else 0
        step = epochs_done * s.train.steps + epoch_step
        if epochs_done >= s.config.epochs:
            status = "finished"
        else:
            status = "interrupted" if stopped or end.stop_requested else "running"
        info = {
            "format": FORMAT,
            "model_name": s.model.name,
            "status": status,
            "epoch": epochs_done,
            "epochs": s.config.epochs,
            "step": step,
            "epoch_step": epoch_step,
            "best": self.best,
            "history": self.history,
            "world_size": s.world.size,
            "model": {"hash": digest(self.layers), "layers": self.layers},
            "config": {"hash": digest(self.values), "values": self.values},
        }
        state = {
            "step": step,
            "optimizer": s.optimizer.state_dict(),
            "scheduler": s.scheduler.state_dict(),
            "rng": rng,
            "generator": end.gen_state,
            "partial": end.totals.as_list() if stopped else None,
            **s.stepper.state_dict(),
        }
        shipped = s.stepper.shipped  # with `ema`, the weights file holds the average
        checkpoint.save(self.out, shipped, state, info, best=best, metadata=s.metadata)

    def _restore(self, found: Checkpoint) -> None:
        s = self.s
        info, state = found.info, found.state
        check_resumable(info, state, s.train.steps, self.out)
        load_into(s.stepper.shipped, found.weights, self.out / checkpoint.LAST)
        s.stepper.load_state_dict(state, self.out / checkpoint.STATE_PT)
        _load_optimizer(s.optimizer, s.scheduler, state, self.out)
        self.position = Position(info["epoch"], info["epoch_step"])
        self.history = info["history"]
        self.best = info["best"]
        if info["epoch_step"]:
            self.partial = Totals.from_list(state["partial"])
            self.gen_state = state["generator"]
            rng = state["rng"]
            self.rng = rng[s.world.rank] if s.world.rank < len(rng) else None

    # ---- how a run ends early ---------------------------------------------------------

    def _diverged(self, epoch: int, end: EpochEnd) -> int:
        if self.s.world.main:
            done = self.position.epoch
            kept = (
                f"the last good checkpoint, after epoch {done}, is kept in {self.out}"
                if done
                else "no checkpoint had been written yet"
            )
            self.errors.print(
                "[bold red]error:[/] the loss or the weights became NaN or infinite "
                f"in epoch {epoch} (by step {end.steps} of {self.s.train.steps}); "
                f"training stopped and {kept}\n"
                "  = help: lower the learning rate, add a warmup, or normalise the data"
            )
        return 1

    def _stopped(self, stop_request: StopRequest, epoch: int, end: EpochEnd) -> int:
        number = stop_request.signal or signal.SIGINT
        if self.s.world.main:
            where = (
                f"in epoch {epoch} at step {end.steps}" if end.steps else f"before epoch {epoch}"
            )
            name = signal.Signals(number).name
            cause = (
                f"because standard output was closed ({name})"
                if number == signal.SIGPIPE
                else f"by {name}"
            )
            curves = self._curves(f"{self.s.model.name} on {self.s.data.name}")
            resume = self.options.resume_command
            self.errors.print(
                f"stopped {cause} {where}; checkpoint saved in {self.out}\n"
                f"  {escape(curves)}\n"
                f"  continue with: {escape(resume)}"
            )
        return 128 + int(number)

    def _banner(self) -> str:
        s = self.s
        procs = f" x {s.world.size} processes" if s.world.size > 1 else ""
        verb = "resuming" if self.position.epoch or self.position.epoch_step else "training"
        return (
            f"{verb} {s.model.name} on {s.data.name}: {len(s.data.train):,} samples, "
            f"{len(s.data.val):,} held out; {counted(s.config.epochs, 'epoch')} of "
            f"{counted(s.train.steps, 'step')} "
            f"(batch {s.config.batch}{_accumulated(s.config.accumulate)}) on {s.device}{procs}; "
            f"run folder {self.out}"
        )


def _accumulated(k: int) -> str:
    return f", {k} batches a step" if k > 1 else ""


def finite(module: torch.nn.Module) -> bool:
    return all(
        bool(t.isfinite().all()) for t in module.state_dict().values() if t.is_floating_point()
    )


def _saved_config(
    model: Model, config: TrainConfig, world: World, device: torch.device
) -> dict[str, Any]:
    """config.json: the configuration, with the CUDA-only choices as this run made them."""
    amp, channels_last = cuda_choices(config, model, device)
    values = {
        **config.model_dump(mode="json"),
        "amp": amp,
        "precision": used_precision(config, device),
        "channels_last": channels_last,
    }
    run = {"model": model.name, "world_size": world.size, "device": str(device)}
    return {"config": values, "run": run}


def _load_optimizer(
    optimizer: torch.optim.Optimizer, scheduler: Any, state: dict[str, Any], out: Path
) -> None:
    """The optimiser's and scheduler's saved state; TrainError when it is another model's."""
    try:
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        for param, saved in optimizer.state.items():
            for key, value in saved.items():
                if isinstance(value, torch.Tensor) and value.dim() and value.shape != param.shape:
                    raise ValueError(
                        f"{key} is shaped {list(value.shape)}, its parameter {list(param.shape)}"
                    )
    except (KeyError, ValueError, TypeError, RuntimeError, IndexError) as exc:
        raise TrainError(
            f"the optimiser state in {out / checkpoint.STATE_PT} does not fit this model ({exc}); "
            "it cannot be resumed from"
        ) from None


def _rng_state(device: torch.device) -> dict[str, Any]:
    cuda = torch.cuda.get_rng_state(device) if device.type == "cuda" else None
    return {"cpu": torch.get_rng_state(), "cuda": cuda}


def worker(model: Model, config: TrainConfig, options: RunOptions) -> int:
    """A command's or a launched process's run, with errors as messages, not tracebacks."""
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        return train(model, config, options)
    except TrainError as exc:
        if world_from_env().main:
            errors.print(f"[bold red]error:[/] {escape(str(exc))}")
        return 1
    except KeyboardInterrupt:  # the third signal: stop now, keep the last checkpoint
        if world_from_env().main:
            errors.print(f"stopped at once; the last checkpoint in {options.out} is kept")
        return 128 + signal.SIGINT
    except Exception as exc:
        # Under the launcher the error goes to it, which names the process that failed
        # first: the others' errors are only the lost connection to it.
        if world_from_env().size > 1 and failures.record(exc):
            return failures.RECORDED
        raise
