"""Datasets read from one's own files: `arrays(...)` (.npz, .npy) and `csv(...)`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from archdsl.train.config import Arrays, Csv
from archdsl.train.data.arrays import load as load_arrays
from archdsl.train.data.csv_table import load as load_csv
from archdsl.train.errors import DataError
from tests.helpers import run_cli
from tests.train_helpers import history

SPEC = """
model m {{
  input [4]
  linear(16) -> relu -> linear(3)
}}
train {{
  data {data}
  epochs 3
  batch 16
  optimizer sgd(lr=0.1, momentum=0.9)
  device cpu
}}
"""


def table(n: int = 300) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, n)
    centres = np.array([[3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 3, 0]], dtype=np.float32)
    return centres[y] + rng.normal(size=(n, 4)).astype(np.float32), y


def write_spec(tmp_path: Path, data: str) -> Path:
    spec = tmp_path / "m.arch"
    spec.write_text(SPEC.format(data=data))
    return spec


def test_npz_with_and_without_a_split_of_its_own(tmp_path: Path) -> None:
    x, y = table()
    np.savez(tmp_path / "all.npz", x=x, y=y)
    np.savez(tmp_path / "own.npz", x=x[:200], y=y[:200], x_val=x[200:], y_val=y[200:])
    held = load_arrays(
        Arrays(path=str(tmp_path / "all.npz"), val=0.25), (4,), (3,), "classification"
    )
    assert (len(held.train), len(held.val), held.classes) == (225, 75, 3)
    own = load_arrays(Arrays(path=str(tmp_path / "own.npz")), (4,), (3,), "classification")
    assert (len(own.train), len(own.val)) == (200, 100)
    assert np.array_equal(own.val.x.numpy(), x[200:])


def test_a_folder_of_npy_files_trains_from_the_cli(tmp_path: Path) -> None:
    x, y = table()
    (tmp_path / "d").mkdir()
    np.save(tmp_path / "d" / "x.npy", x)
    np.save(tmp_path / "d" / "y.npy", y)
    spec = write_spec(tmp_path, f'arrays("{tmp_path / "d"}")')
    result = run_cli("train", str(spec), "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    assert history(tmp_path / "run")[-1]["val_acc"] >= 0.9


def test_check_compares_the_sample_shape_without_loading(tmp_path: Path) -> None:
    _, y = table()
    np.savez(tmp_path / "d.npz", x=np.zeros((10, 5), np.float32), y=y[:10])
    spec = write_spec(tmp_path, f'arrays("{tmp_path / "d.npz"}")')
    result = run_cli("check", str(spec))
    assert result.returncode == 1
    assert "arrays gives samples of shape [5]; model `m` takes [4]" in result.stderr
    (tmp_path / "t.csv").write_text("a,b,label\n1,2,x\n")
    spec = write_spec(tmp_path, f'csv("{tmp_path / "t.csv"}", target="label")')
    result = run_cli("check", str(spec))
    assert "csv gives samples of shape [2]; model `m` takes [4]" in result.stderr


def test_csv_with_named_classes(tmp_path: Path) -> None:
    x, y = table()
    names = np.array(["cat", "dog", "emu"])
    lines = ["f1,kind,f2,f3,f4"] + [
        f"{r[0]},{names[label]},{r[1]},{r[2]},{r[3]}" for r, label in zip(x, y, strict=True)
    ]
    (tmp_path / "t.csv").write_text("\n".join(lines) + "\n")
    data = load_csv(Csv(path=str(tmp_path / "t.csv"), target="kind"), (4,), (3,), "classification")
    assert data.class_names == ["cat", "dog", "emu"]
    assert (len(data.train), len(data.val)) == (240, 60)
    spec = write_spec(tmp_path, f'csv("{tmp_path / "t.csv"}", target="kind")')
    result = run_cli("train", str(spec), "--out", str(tmp_path / "run"))
    assert result.returncode == 0, result.stderr
    assert history(tmp_path / "run")[-1]["val_acc"] >= 0.9


@pytest.mark.parametrize(
    ("text", "target", "message"),
    [
        ("a,b\n1,2\n", "lable", "has no column `lable`; its columns are a, b"),
        ("a,label\n1,2\n3\n", "label", "line 3: 1 values, but the header names 2"),
        ("a,label\n1,2\nx,1\n", "label", "line 3: `a` is 'x', not a number"),
        ("a,label\n", "label", "needs a header row and at least one row"),
    ],
)
def test_bad_csv_files_are_named_with_the_line(
    tmp_path: Path, text: str, target: str, message: str
) -> None:
    (tmp_path / "t.csv").write_text(text)
    with pytest.raises(DataError, match=message):
        load_csv(Csv(path=str(tmp_path / "t.csv"), target=target), (1,), (2,), "classification")


def test_bad_array_files_are_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "no_y.npz", x=np.zeros((4, 2)))
    with pytest.raises(DataError, match="must hold arrays `x` and `y`"):
        load_arrays(Arrays(path=str(tmp_path / "no_y.npz")), (2,), (2,), "classification")
    np.savez(tmp_path / "obj.npz", x=np.array([{"a": 1}] * 4, dtype=object), y=np.zeros(4))
    with pytest.raises(DataError, match="not readable as NumPy arrays"):
        load_arrays(Arrays(path=str(tmp_path / "obj.npz")), (2,), (2,), "classification")
    with pytest.raises(DataError, match="no such file or folder"):
        load_arrays(Arrays(path=str(tmp_path / "nothing.npz")), (2,), (2,), "classification")
