"""SIGINT and SIGTERM ask a run to stop: it saves a checkpoint at the next step and exits.

So does standard output closed by its reader (SIGPIPE, which Python turns
into BrokenPipeError): the progress view calls `request`.
"""

from __future__ import annotations

import signal
from types import FrameType
from typing import Any

# A third signal stops at once, for a run that is stuck (a launcher passes each on too).
PATIENCE = 3


class StopRequest:
    def __init__(self) -> None:
        self.signal: int | None = None
        self.count = 0
        self._old: dict[int, Any] = {}

    def __enter__(self) -> StopRequest:
        for sig in (signal.SIGINT, signal.SIGTERM):
            self._old[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        self.signal = self.signal or signum
        if self.count >= PATIENCE:
            raise KeyboardInterrupt

    def request(self, signum: int) -> None:
        """Stop as if `signum` had arrived (once: a later signal keeps its count)."""
        self.signal = self.signal or signum

    @property
    def requested(self) -> bool:
        return self.signal is not None

    @property
    def name(self) -> str:
        return signal.Signals(self.signal).name if self.signal else ""
