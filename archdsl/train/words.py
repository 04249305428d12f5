"""Counts in sentences: "1 epoch", "10 epochs"."""

from __future__ import annotations


def counted(n: int, noun: str) -> str:
    """`n` and `noun`, plural unless `n` is one; `noun` ends in a consonant or `ss`."""
    if n == 1:
        return f"1 {noun}"
    return f"{n:,} {noun}{'es' if noun.endswith('ss') else 's'}"
