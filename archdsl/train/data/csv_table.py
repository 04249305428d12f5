"""A table with a header row: `csv("patients.csv", target="outcome")`.

Every column but `target` is a numeric feature. For classification the
target's values are the classes: integers 0..K-1 as they are, or any other
text, with the classes then its distinct values in sorted order (kept as
the class names); for regression, numbers.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from archdsl.diagnostics.suggest import did_you_mean
from archdsl.train.config import Csv
from archdsl.train.data.base import LoadedData
from archdsl.train.data.held_out import split
from archdsl.train.errors import DataError


def load(
    config: Csv, model_input: tuple[int, ...], output: tuple[int, ...], task: str
) -> LoadedData:
    path = Path(config.path)
    header, rows = read_rows(path)
    if config.target not in header:
        hint = did_you_mean(config.target, header)
        raise DataError(
            f"{path} has no column `{config.target}`"
            + (f"; {hint}" if hint else f"; its columns are {', '.join(header)}")
        )
    at = header.index(config.target)
    features = np.empty((len(rows), len(header) - 1), dtype=np.float32)
    for r, row in enumerate(rows):
        values = row[:at] + row[at + 1 :]
        for c, text in enumerate(values):
            try:
                features[r, c] = float(text)
            except ValueError:
                column = header[c if c < at else c + 1]
                raise DataError(
                    f"{path}, line {r + 2}: `{column}` is {text!r}, not a number"
                ) from None
    if task == "regression":
        labels, names = _numbers(path, config.target, [row[at] for row in rows]), None
    elif task == "classification":
        labels, names = _classes([row[at] for row in rows])
    else:
        raise DataError(f"csv gives one target per row: a class or a number, not {task}")
    data = split("csv", features, labels, config.val, 1.0, task, f"csv:{path.resolve()}")
    data.class_names = names
    data.target_names = [config.target] if task == "regression" else None
    return data


def read_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            table = list(csv.reader(f))
    except FileNotFoundError:
        raise DataError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DataError(f"{path} is not a readable CSV file ({exc})") from None
    table = [row for row in table if row]  # blank lines
    if len(table) < 2:
        raise DataError(f"{path} needs a header row and at least one row of data")
    header = [name.strip() for name in table[0]]
    for line, row in enumerate(table[1:], start=2):
        if len(row) != len(header):
            raise DataError(
                f"{path}, line {line}: {len(row)} values, but the header names {len(header)}"
            )
    return header, table[1:]


def _numbers(path: Path, column: str, values: list[str]) -> np.ndarray:
    try:
        return np.array([float(v) for v in values], dtype=np.float32)
    except ValueError:
        bad = next(v for v in values if not _is_number(v))
        line = values.index(bad) + 2
        raise DataError(f"{path}, line {line}: `{column}` is {bad!r}, not a number") from None


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _classes(values: list[str]) -> tuple[np.ndarray, list[str] | None]:
    """Class indices, and the class names when the values are not indices already."""
    stripped = [v.strip() for v in values]
    if all(v.isdigit() for v in stripped):
        return np.array([int(v) for v in stripped], dtype=np.int64), None
    names = sorted(set(stripped))
    index = {name: i for i, name in enumerate(names)}
    return np.array([index[v] for v in stripped], dtype=np.int64), names
