"""Errors the trainer reports to a user as a message, never as a traceback."""

from __future__ import annotations


class TrainError(Exception):
    """Something about a run a user must fix: the message says what and where."""


class DataError(TrainError):
    """A dataset cannot be read; the message names the file and says what to do."""
