"""Helpers the tests share."""

from __future__ import annotations

import contextlib
import http.server
import os
import resource
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"


def run_cli(*args: str, cwd: Path = ROOT, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run `archdsl` in a fresh interpreter, as a user would; `timeout` guards hangs.

    Output is plain text whatever the caller's environment asks of rich, so
    tests can compare it exactly.
    """
    return subprocess.run(
        [sys.executable, "-m", "archdsl", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_plain_env(),
    )


def start_cli(*args: str) -> subprocess.Popen[str]:
    """`archdsl` as `run_cli` runs it, left running (its output piped)."""
    return subprocess.Popen(
        [sys.executable, "-m", "archdsl", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_plain_env(),
    )


def _plain_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _FORCE_TERMINAL}
    return {**env, "NO_COLOR": "1"}


# Variables that make rich style its output even into a pipe.
_FORCE_TERMINAL = frozenset({"FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"})


def run_python(code: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """Run Python code in a fresh interpreter, for what a test must not do to itself."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=120
    )


# The bounds of `run_bounded`: address space and seconds.
MEMORY = 2 << 30
TIMEOUT = 120


def run_bounded(*args: str, prelude: str = "") -> subprocess.CompletedProcess[str]:
    """`archdsl ARGS` in a fresh interpreter under MEMORY and TIMEOUT, after `prelude` runs.

    For input that could hang or exhaust memory; a traceback fails the test.
    """

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))

    code = f"{prelude}\nimport sys\nsys.argv = ['archdsl', *{list(args)!r}]\n"
    code += "from archdsl.cli import main\nmain()\n"
    env = {k: v for k, v in os.environ.items() if k not in _FORCE_TERMINAL}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=limit,
        env={**env, "NO_COLOR": "1", "COLUMNS": "200"},
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result


@contextlib.contextmanager
def http_server(handler: type[http.server.BaseHTTPRequestHandler] | object) -> Iterator[str]:
    """A web server on 127.0.0.1 answering with `handler`; its base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # type: ignore[arg-type]
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# Every network of the zoo, by file name.
ZOO = sorted(p.name for p in SPECS.glob("*.arch"))


# Prepended to code that calls `archdsl.cli.main` in-process and reports after it:
# `check` leaves by os._exit, which here raises SystemExit instead.
EXIT_RETURNS = "import os\ndef _leave(status):\n    raise SystemExit(status)\nos._exit = _leave\n"


def loaded_after(args: list[str], modules: list[str]) -> list[bool]:
    """Run `archdsl ARGS` in a fresh interpreter; which of `modules` it imported."""
    code = (
        EXIT_RETURNS + "import sys\n"
        f"sys.argv = ['archdsl', *{args!r}]\n"
        "from archdsl.cli import main\n"
        "try:\n"
        "    main()\n"
        "except SystemExit as exc:\n"
        "    assert exc.code in (0, None), exc.code\n"
        f"print(*[m in sys.modules for m in {modules!r}])\n"
    )
    result = run_python(code)
    assert result.returncode == 0, result.stderr
    return [word == "True" for word in result.stdout.strip().splitlines()[-1].split()]
