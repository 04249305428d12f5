"""What a run shows on the terminal: a progress bar per epoch, a line per epoch, a summary."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, ProgressColumn, Task, TaskID
from rich.table import Table
from rich.text import Text


class _Figures(ProgressColumn):
    """Loss, the task's metric, speed and the whole run's time left, once a step has told them."""

    def render(self, task: Task) -> Text:
        f = task.fields
        if f["loss"] is None:
            return Text("")
        eta = f"  {_clock(f['eta'])} left" if f["eta"] is not None else ""
        return Text(f"loss {f['loss']:.4f}  {f['metric']}  {f['speed']:,.0f} img/s{eta}")


def _clock(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}"


class Output(Console):
    """Standard output, whose reader may go away (`archdsl train ... | head -3`).

    That is not an error of the run: instead of rich's exit, the console goes
    quiet and calls `on_closed`, which asks the run to stop as a signal would.
    """

    on_closed: Callable[[], None] | None = None

    def on_broken_pipe(self) -> None:
        self.quiet = True
        null = os.open(os.devnull, os.O_WRONLY)  # later flushes, at exit too, go nowhere
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
        if self.on_closed is not None:
            self.on_closed()


class ProgressView:
    """Rank 0's view of a run; every other process makes a silent one."""

    def __init__(self, console: Console, enabled: bool, epochs: int) -> None:
        self.console = console
        self.enabled = enabled
        self.epochs = epochs
        self.metric, self.percent = "acc", True  # the task's main metric, and how it reads
        self.bar = Progress(
            "epoch {task.fields[epoch]}",
            BarColumn(),
            MofNCompleteColumn(),
            _Figures(),
            console=console,
            transient=True,
            disable=not enabled,
        )
        self.task: TaskID | None = None
        self.monitor: str | None = None  # the held-out metric that picks `best`
        # The run's pace, for the time left: the epoch and its steps; the step and clock of
        # this epoch's first update, and of its last; seconds per step (this epoch's pace,
        # else the last one's); the seconds an epoch spends besides its steps (evaluating,
        # checkpointing), as the last epoch did.
        self._epoch, self._steps = 0, 0
        self._first: tuple[int, float] | None = None
        self._last = 0.0
        self._per_step: float | None = None
        self._overhead = 0.0

    def __enter__(self) -> ProgressView:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def start_epoch(self, epoch: int, steps: int, done: int) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
        if self._first is not None:  # the last epoch ran here: what came after its steps
            self._overhead = time.perf_counter() - self._last
        self._epoch, self._steps, self._first = epoch, steps, None
        self.task = self.bar.add_task(
            "",
            total=steps,
            completed=done,
            epoch=f"{epoch}/{self.epochs}",
            loss=None,
            metric="",
            speed=0.0,
            eta=None,
        )

    def show_metric(self, name: str, percent: bool) -> None:
        self.metric, self.percent = name, percent

    def _metric(self, value: float) -> str:
        return f"{self.metric} {value:6.2%}" if self.percent else f"{self.metric} {value:.4f}"

    def _value(self, value: float) -> str:
        return f"{value:.2%}" if self.percent else f"{value:.4f}"

    def update(self, done: int, loss: float, acc: float, speed: float) -> None:
        if self.task is None:
            return
        now = self._last = time.perf_counter()
        # Timed from the end of the epoch's first step: that one may warm up or compile.
        if self._first is None:
            self._first = (done, now)
        elif done > self._first[0]:
            self._per_step = (now - self._first[1]) / (done - self._first[0])
        eta = None if self._per_step is None else self.time_left(self._steps - done)
        metric = self._metric(acc)
        self.bar.update(self.task, completed=done, loss=loss, metric=metric, speed=speed, eta=eta)

    def time_left(self, steps_left: int) -> float:
        """The whole run's: the rest of this epoch, then each epoch left at the pace so far."""
        assert self._per_step is not None
        epoch = self._per_step * self._steps + self._overhead
        rest = self._per_step * steps_left + self._overhead
        return rest + (self.epochs - self._epoch) * epoch

    def print(self, message: str) -> None:
        if self.enabled:
            self.console.print(message, highlight=False, markup=False, soft_wrap=True)

    def epoch_line(self, record: dict[str, Any], best: bool, last: bool = False) -> None:
        """`last`: the run ends after this epoch (it stops early), with no time left."""
        train, val = f"train_{self.metric}", f"val_{self.metric}"
        left = ""
        if self._per_step is not None and record["epoch"] < self.epochs and not last:
            self._overhead = time.perf_counter() - self._last  # so far: the evaluation
            left = f"  {_clock(self.time_left(0) - self._overhead)} left"
        self.print(
            f"epoch {record['epoch']:>{len(str(self.epochs))}}/{self.epochs}  "
            f"train loss {record['train_loss']:.4f} {self._metric(record[train])}  "
            f"held-out loss {record['val_loss']:.4f} {self._metric(record[val])}  "
            f"lr {record['lr']:.3g}  {record['images_per_s']:,.0f} img/s  "
            f"{record['seconds']:.1f} s" + ("  *" if best else "") + left
        )

    def summary(
        self, title: str, history: list[dict[str, Any]], best: dict[str, Any], out: Path
    ) -> None:
        if not self.enabled or not history:
            return
        last = history[-1]
        table = Table(title=title, show_header=False, title_justify="left")
        table.add_column(style="bold")
        table.add_column()
        seconds = sum(r["seconds"] for r in history)
        speed = sum(r["images_per_s"] for r in history) / len(history)
        table.add_row("epochs", str(last["epoch"]))
        key = f"val_{self.metric}"
        name = "accuracy" if self.metric == "acc" else self.metric
        table.add_row(f"held-out {name}", f"{self._value(last[key])} (loss {last['val_loss']:.4f})")
        by = f" (by {self.monitor})" if self.monitor not in (None, key) else ""
        table.add_row("best", f"{self._value(best[key])} at epoch {best['epoch']}{by}")
        table.add_row("time", f"{seconds:.1f} s, {speed:,.0f} images/s")
        table.add_row("run folder", str(out))
        self.console.print(table)
