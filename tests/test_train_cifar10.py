"""CIFAR-10: the official pickle batches, download and verify, damaged and missing files."""

from __future__ import annotations

import contextlib
import functools
import http.server
import os
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import torch

from archdsl.train.config import Cifar10
from archdsl.train.data import load_data
from archdsl.train.data.cifar10_files import FOLDER, TEST_FILE, TRAIN_FILES
from archdsl.train.errors import DataError
from tests.cifar_files import PER_BATCH, archive, batch, write_batches
from tests.helpers import http_server, run_cli

SHAPE = (3, 32, 32)
TINY = """model tiny {
  input [3, 32, 32]
  avgpool(4x4) -> flatten -> linear(10)
}
train {
  data      cifar10(augment=[crop(32, padding=4), flip])
  epochs    1
  batch     20
  optimizer sgd(lr=0.01)
}
"""


def test_loader_reads_the_official_layout(tmp_path: Path) -> None:
    write_batches(tmp_path)
    data = load_data(Cifar10(path=str(tmp_path)), SHAPE, (10,))
    assert data.train.x.shape == (5 * PER_BATCH, *SHAPE) and data.train.x.dtype == torch.uint8
    assert data.val.x.shape == (PER_BATCH, *SHAPE)
    first = batch(0)
    # Each row holds the red plane, then green, then blue, each row-major.
    row = first[b"data"][3]  # type: ignore[index]
    assert data.train.x[3, 1, 2, 5] == row[1024 + 2 * 32 + 5]
    assert data.train.y[:PER_BATCH].tolist() == first[b"labels"]
    assert data.val.y.tolist() == batch(5)[b"labels"]
    assert data.classes == 10 and data.scale == 255.0
    # The folder itself, or $ARCHDSL_DATA, find the same files.
    assert torch.equal(
        load_data(Cifar10(path=str(tmp_path / FOLDER)), SHAPE, (10,)).val.x, data.val.x
    )


def test_data_folder_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_batches(tmp_path)
    monkeypatch.setenv("ARCHDSL_DATA", str(tmp_path))
    assert len(load_data(Cifar10(), SHAPE, (10,)).train) == 5 * PER_BATCH


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    folder = write_batches(tmp_path)
    (folder / TRAIN_FILES[2]).unlink()
    with pytest.raises(DataError) as info:
        load_data(Cifar10(path=str(tmp_path)), SHAPE, (10,))
    assert f"CIFAR-10 file not found: {folder / TRAIN_FILES[2]}" in str(info.value)
    assert "archdsl data cifar10" in str(info.value)


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda b: b[: len(b) // 2], "is not a readable CIFAR-10 batch"),
        (lambda b: b"not a pickle at all", "is not a readable CIFAR-10 batch"),
        (
            lambda b: pickle.dumps({b"data": np.zeros((4, 100), np.uint8), b"labels": [0] * 4}),
            "its images have 100 values, not 3 x 32 x 32 = 3072",
        ),
        (
            lambda b: pickle.dumps(
                {b"data": np.zeros((4, 3072), np.uint8), b"labels": [0, 12, 1, 2]}
            ),
            "labels must lie in 0..9",
        ),
        (lambda b: pickle.dumps([1, 2, 3]), "it holds no `data` and `labels`"),
        # A pickle that would run a shell command is refused before anything runs.
        (lambda b: pickle.dumps(Exploit()), "`posix.system`"),
    ],
)
def test_a_damaged_file_is_named(tmp_path: Path, damage: object, reason: str) -> None:
    folder = write_batches(tmp_path)
    victim = folder / TEST_FILE
    victim.write_bytes(damage(victim.read_bytes()))  # type: ignore[operator]
    with pytest.raises(DataError) as info:
        load_data(Cifar10(path=str(tmp_path)), SHAPE, (10,))
    assert str(victim) in str(info.value) and reason in str(info.value)
    assert not (tmp_path / "exploited").exists()


class Exploit:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch exploited",))


def test_train_and_eval_on_cifar10_from_the_command_line(tmp_path: Path) -> None:
    write_batches(tmp_path / "data")
    spec = tmp_path / "tiny.arch"
    spec.write_text(TINY)
    out = tmp_path / "run"
    result = run_cli("train", str(spec), "--data", str(tmp_path / "data"), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert "training tiny on cifar10: 100 samples, 20 held out" in result.stdout
    evaluated = run_cli(
        "eval",
        str(spec),
        "--weights",
        str(out / "last.safetensors"),
        "--data",
        str(tmp_path / "data"),
    )
    assert evaluated.returncode == 0, evaluated.stderr
    assert "tiny on cifar10 (held out, 20 samples): loss" in evaluated.stdout
    missing = run_cli(
        "train", str(spec), "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "x")
    )
    assert missing.returncode == 1
    assert (
        f"CIFAR-10 file not found: {tmp_path / 'nowhere' / FOLDER / TRAIN_FILES[0]}"
        in missing.stderr
    )
    assert "Traceback" not in missing.stderr


@contextlib.contextmanager
def serving(folder: Path) -> Iterator[str]:
    """A web server on 127.0.0.1 serving `folder`; its base URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined, assignment]
    with http_server(handler) as base:
        yield base


def test_download_verifies_and_unpacks(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    data, md5 = archive(tmp_path / "source")
    (site / "cifar-10-python.tar.gz").write_bytes(data)
    into = tmp_path / "data"
    with serving(site) as base:
        url = f"{base}/cifar-10-python.tar.gz"
        result = run_cli("data", "cifar10", "-o", str(into), "--url", url, "--md5", md5)
        assert result.returncode == 0, result.stderr
        assert f"verified and unpacked into {into / FOLDER}" in result.stdout
        assert len(load_data(Cifar10(path=str(into)), SHAPE, (10,)).train) == 5 * PER_BATCH
        again = run_cli("data", "cifar10", "--output", str(into), "--url", url, "--md5", md5)
        assert again.returncode == 0 and "already in" in again.stdout

        fresh = tmp_path / "other"
        wrong = run_cli("data", "cifar10", "--out", str(fresh), "--url", url, "--md5", "0" * 32)
        assert wrong.returncode == 1
        assert f"its MD5 is {md5}, expected {'0' * 32}; nothing was unpacked" in wrong.stderr
        assert not (fresh / FOLDER).exists() and list(fresh.iterdir()) == []

        gone = run_cli("data", "cifar10", "--out", str(fresh), "--url", f"{base}/nothing.tar.gz")
        assert gone.returncode == 1 and f"cannot download {base}/nothing.tar.gz" in gone.stderr
