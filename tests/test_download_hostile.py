"""Hostile downloads, from a server on 127.0.0.1: bounded in size, in time, and on disk.

Each command runs in a fresh interpreter under the memory limit and timeout
of `run_bounded`; the folder it writes into must hold nothing afterwards.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import http.server
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from archdsl.train.data.cifar10_files import FOLDER
from archdsl.train.data.download import MAX_UNPACKED, fetch
from archdsl.train.errors import DataError
from tests.helpers import http_server, run_bounded

BOMB = 2 << 30  # bytes the bomb's one member unpacks to
TRICKLE = 0.5  # seconds between the bytes of /trickle


def gzip_bomb() -> bytes:
    """A .tar.gz of about 2 MB whose one member unpacks to BOMB bytes of zeros.

    gzip members may follow one another; one MiB of zeros compressed once,
    repeated, makes the member's data without compressing two GiB.
    """
    info = tarfile.TarInfo(f"{FOLDER}/data_batch_1")
    info.size = BOMB
    zeros = gzip.compress(bytes(1 << 20), compresslevel=9)
    return gzip.compress(info.tobuf()) + zeros * (BOMB >> 20) + gzip.compress(bytes(1024))


class Hostile(http.server.BaseHTTPRequestHandler):
    bomb = b""

    def do_GET(self) -> None:
        if self.path == "/bomb.tar.gz":
            self._send(self.bomb, len(self.bomb))
        elif self.path == "/trickle":
            self._send(b"", 1000)
            for _ in range(1000):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(TRICKLE)
        elif self.path == "/huge":
            self._send(b"", 10**12)
        elif self.path == "/endless":
            self._send(b"", None)
            with contextlib.suppress(OSError):
                while True:
                    self.wfile.write(bytes(1 << 16))

    def _send(self, body: bytes, length: int | None) -> None:
        self.send_response(200)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    Hostile.bomb = gzip_bomb()
    with http_server(Hostile) as base:
        yield base


def download(into: Path, url: str, *extra: str) -> tuple[int, str]:
    result = run_bounded("data", "cifar10", "--out", str(into), "--url", url, *extra)
    return result.returncode, result.stderr.strip()


def test_a_gzip_bomb_is_refused_before_it_is_unpacked(site: str, tmp_path: Path) -> None:
    md5 = hashlib.md5(Hostile.bomb, usedforsecurity=False).hexdigest()
    code, err = download(tmp_path, f"{site}/bomb.tar.gz", "--md5", md5)
    assert (code, err) == (
        1,
        f"error: cifar-10-python.tar.gz would unpack to more than {MAX_UNPACKED:,} bytes "
        f"({FOLDER}/data_batch_1 alone is {BOMB:,}); nothing was unpacked",
    )
    assert list(tmp_path.iterdir()) == []


def test_a_download_that_trickles_stops_at_its_deadline(site: str, tmp_path: Path) -> None:
    code, err = download(tmp_path, f"{site}/trickle", "--deadline", "2")
    assert code == 1
    # A byte each TRICKLE seconds: the deadline is noticed at the first byte past it.
    arrived = int(err.split("(")[1].split()[0])
    assert 2 / TRICKLE - 2 <= arrived <= 2 / TRICKLE + 2
    assert err == (
        f"error: the download of {site}/trickle took longer than 2 s ({arrived} bytes "
        "arrived); nothing was unpacked"
    )
    assert list(tmp_path.iterdir()) == []


def test_an_announced_size_past_the_cap_is_refused_at_once(site: str, tmp_path: Path) -> None:
    code, err = download(tmp_path, f"{site}/huge")
    assert (code, err) == (
        1,
        f"error: the download of {site}/huge is over 1,000,000,000,000 bytes, "
        f"more than the {512 << 20:,} allowed",
    )
    assert list(tmp_path.iterdir()) == []


def test_an_endless_download_stops_at_the_cap(site: str, tmp_path: Path) -> None:
    with pytest.raises(DataError) as refused:
        fetch(f"{site}/endless", tmp_path / "archive", max_bytes=1 << 20)
    assert str(refused.value).startswith(f"the download of {site}/endless is over ")
    assert str(refused.value).endswith(f"bytes, more than the {1 << 20:,} allowed")
    assert (tmp_path / "archive").stat().st_size <= 1 << 20


@pytest.mark.parametrize("kind", ["link", "file"])
def test_force_will_not_replace_a_link_or_a_file(kind: str, tmp_path: Path) -> None:
    target = tmp_path / FOLDER
    elsewhere = tmp_path / "precious"
    elsewhere.mkdir()
    (elsewhere / "keep.txt").write_text("mine")
    if kind == "link":
        target.symlink_to(elsewhere)
        reason = "is a symbolic link; it is not replaced"
    else:
        target.write_text("mine")
        reason = "is a file, not a folder of CIFAR-10 batches;"
    code, err = download(tmp_path, "http://127.0.0.1:9/never", "--force")
    assert code == 1
    assert err.startswith(f"error: {target} {reason}")
    assert err.endswith("remove it, or choose another --out")
    assert (elsewhere / "keep.txt").read_text() == "mine"
