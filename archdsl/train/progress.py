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
    """Loss, accuracy, speed and the whole run's time left, once a step has told them."""

    def render(self, task: Task) -> Text:
        f = task.fields
        if f["loss"] is None:
            return Text("")
        eta = f"  {_clock(f['eta'])} left" if f["eta"] is not None else ""
        return Text(f"loss {f['loss']:.4f}  acc {f['acc']:6.2%}  {f['speed']:,.0f} img/s{eta}")


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
        # The run's pace: its step and the clock at the first step this process took.
        self._run_step = 0
        self._total = 0
        self._since: tuple[int, float] | None = None

    def __enter__(self) -> ProgressView:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def start_epoch(self, epoch: int, steps: int, done: int) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
        self._run_step = (epoch - 1) * steps
        self._total = self.epochs * steps
        self.task = self.bar.add_task(
            "",
            total=steps,
            completed=done,
            epoch=f"{epoch}/{self.epochs}",
            loss=None,
            acc=0.0,
            speed=0.0,
            eta=None,
        )

    def update(self, done: int, loss: float, acc: float, speed: float) -> None:
        if self.task is None:
            return
        now, step = time.perf_counter(), self._run_step + done
        if self._since is None:
            self._since = (step, now)
        taken, began = self._since
        eta = (now - began) / (step - taken) * (self._total - step) if step > taken else None
        self.bar.update(self.task, completed=done, loss=loss, acc=acc, speed=speed, eta=eta)

    def print(self, message: str) -> None:
        if self.enabled:
            self.console.print(message, highlight=False, markup=False, soft_wrap=True)

    def epoch_line(self, record: dict[str, Any], best: bool) -> None:
        self.print(
            f"epoch {record['epoch']:>{len(str(self.epochs))}}/{self.epochs}  "
            f"train loss {record['train_loss']:.4f} acc {record['train_acc']:6.2%}  "
            f"held-out loss {record['val_loss']:.4f} acc {record['val_acc']:6.2%}  "
            f"lr {record['lr']:.3g}  {record['images_per_s']:,.0f} img/s  "
            f"{record['seconds']:.1f} s" + ("  *" if best else "")
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
        table.add_row("held-out accuracy", f"{last['val_acc']:.2%} (loss {last['val_loss']:.4f})")
        table.add_row("best", f"{best['val_acc']:.2%} at epoch {best['epoch']}")
        table.add_row("time", f"{seconds:.1f} s, {speed:,.0f} images/s")
        table.add_row("run folder", str(out))
        self.console.print(table)
