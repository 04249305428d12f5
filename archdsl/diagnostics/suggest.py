"""'Did you mean' suggestions for misspelt names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from functools import lru_cache


def closest(name: str, candidates: Iterable[str]) -> str | None:
    return _closest(name, tuple(candidates))


# A spec that misspells one name thousands of times asks the same question each time.
@lru_cache(maxsize=256)
def _closest(name: str, candidates: tuple[str, ...]) -> str | None:
    matches = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return matches[0] if matches else None


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A help line naming the closest candidate, or None when nothing is close."""
    match = closest(name, candidates)
    return f"did you mean `{match}`?" if match else None
