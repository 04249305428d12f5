"""What a run shows on the terminal: a progress bar per epoch, a line per epoch, a summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table


class ProgressView:
    """Rank 0's view of a run; every other process makes a silent one."""

    def __init__(self, console: Console, enabled: bool, epochs: int) -> None:
        self.console = console
        self.enabled = enabled
        self.epochs = epochs
        self.metric, self.percent = "acc", True  # the task's main metric, and how it reads
        self.bar = Progress(
            TextColumn("epoch {task.fields[epoch]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]:.4f}  {task.fields[metric]}"),
            TextColumn("{task.fields[speed]:,.0f} img/s"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            disable=not enabled,
        )
        self.task: TaskID | None = None

    def __enter__(self) -> ProgressView:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()

    def start_epoch(self, epoch: int, steps: int, done: int) -> None:
        if self.task is not None:
            self.bar.remove_task(self.task)
        self.task = self.bar.add_task(
            "",
            total=steps,
            completed=done,
            epoch=f"{epoch}/{self.epochs}",
            loss=0.0,
            metric=self._metric(0.0),
            speed=0.0,
        )

    def show_metric(self, name: str, percent: bool) -> None:
        self.metric, self.percent = name, percent

    def _metric(self, value: float) -> str:
        return f"{self.metric} {value:6.2%}" if self.percent else f"{self.metric} {value:.4f}"

    def _value(self, value: float) -> str:
        return f"{value:.2%}" if self.percent else f"{value:.4f}"

    def update(self, done: int, loss: float, acc: float, speed: float) -> None:
        if self.task is not None:
            metric = self._metric(acc)
            self.bar.update(self.task, completed=done, loss=loss, metric=metric, speed=speed)

    def print(self, message: str) -> None:
        if self.enabled:
            self.console.print(message, highlight=False, soft_wrap=True)

    def epoch_line(self, record: dict[str, Any], best: bool) -> None:
        train, val = f"train_{self.metric}", f"val_{self.metric}"
        self.print(
            f"epoch {record['epoch']:>{len(str(self.epochs))}}/{self.epochs}  "
            f"train loss {record['train_loss']:.4f} {self._metric(record[train])}  "
            f"held-out loss {record['val_loss']:.4f} {self._metric(record[val])}  "
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
        key = f"val_{self.metric}"
        name = "accuracy" if self.metric == "acc" else self.metric
        table.add_row(f"held-out {name}", f"{self._value(last[key])} (loss {last['val_loss']:.4f})")
        table.add_row("best", f"{self._value(best[key])} at epoch {best['epoch']}")
        table.add_row("time", f"{seconds:.1f} s, {speed:,.0f} images/s")
        table.add_row("run folder", str(out))
        self.console.print(table)
