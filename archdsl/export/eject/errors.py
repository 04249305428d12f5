"""The error eject raises for what it cannot write, with why."""

from __future__ import annotations


class EjectError(Exception):
    """A block one class cannot express, with why."""
