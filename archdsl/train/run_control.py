"""What each finished epoch's held-out record decides: best, the top k, early stopping.

Every process decides alike from the same all-reduced record, and all of it
is saved in state.json, so a resumed run decides as the uninterrupted one
would: the top k, the early-stopping reference value and how many epochs it
has waited.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from archdsl.train.config import EarlyStop
from archdsl.train.monitor import Monitor


@dataclass(frozen=True)
class Verdict:
    best: bool  # the best epoch so far
    kept: bool  # among the top k
    stop: bool  # early stopping ends the run after it


class RunControl:
    def __init__(self, monitor: Monitor, keep: int, early: EarlyStop | None) -> None:
        self.monitor = monitor
        self.keep = keep
        self.early = early
        self.top: list[dict[str, Any]] = []  # {"epoch": e, key: value}, best first
        self.reference: float | None = None  # the value early stopping must beat
        self.wait = 0  # epochs since it was last beaten
        self.stopped: int | None = None  # the epoch after which early stopping ended the run
        # (set by the run: one that stops at its last epoch has simply finished)

    def update(self, record: dict[str, Any]) -> Verdict:
        key, value = self.monitor.key, record[self.monitor.key]
        entry = {"epoch": record["epoch"], key: value}
        # After every entry at least as good: on a tie, the earlier epoch ranks first.
        place = sum(1 for t in self.top if not self.monitor.better(value, t[key]))
        self.top.insert(place, entry)
        del self.top[self.keep :]
        stop = False
        if self.early is not None:
            if self.reference is None or self.monitor.better(
                value, self.reference, self.early.min_delta
            ):
                self.reference, self.wait = value, 0
            else:
                self.wait += 1
            stop = self.wait >= self.early.patience
        return Verdict(place == 0, place < self.keep, stop)

    @property
    def epochs(self) -> list[int]:
        """The epochs whose weights are kept, best first."""
        return [t["epoch"] for t in self.top]

    def why_stopped(self) -> str:
        assert self.early is not None
        best = self.top[0]
        delta = f" by more than {self.early.min_delta:g}" if self.early.min_delta else ""
        return (
            f"{self.monitor.key} has not improved{delta} for "
            f"{self.early.patience} epoch{'s' if self.early.patience > 1 else ''}; "
            f"the best was {best[self.monitor.key]:.4f} at epoch {best['epoch']}"
        )

    def state(self) -> dict[str, Any]:
        """What state.json keeps of it."""
        early = None
        if self.early is not None:
            early = {"reference": self.reference, "wait": self.wait, "stopped": self.stopped}
        return {"top": self.top, "early_stop": early}

    def restore(self, info: dict[str, Any]) -> None:
        """From state.json; a run saved before top-k has its best as its top."""
        best = info["best"]
        if "top" in info:
            self.top = info["top"]
        elif self.monitor.key in best:
            self.top = [{"epoch": best["epoch"], self.monitor.key: best[self.monitor.key]}]
        early = info.get("early_stop")
        if early is not None:
            self.reference, self.wait, self.stopped = (
                early["reference"],
                early["wait"],
                early["stopped"],
            )
