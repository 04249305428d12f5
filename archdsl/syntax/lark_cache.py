"""Building a lark parser once per grammar, not once per process.

Building the LALR tables costs about ten times what loading them does, a good
part of a small `check`. Lark's own `cache=True` keeps them in the shared
temporary directory under a name anyone can predict, and unpickles whatever
it finds there. Here they live in the user's own cache directory (made private
to the user), under a name holding a hash of the grammar, the options and
lark's and Python's versions, and each file is written under another name and
then renamed into place, so no reader ever sees half a file. A file that
cannot be read or loaded is rebuilt; where no cache directory can be made,
the parser is built every time.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import lark
from lark import Lark

# Options that are objects, not settings: passed to a loaded parser afresh.
_OBJECTS = ("transformer", "postlex")


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/archdsl`, by default `~/.cache/archdsl`."""
    root = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(root) / "archdsl"


def cached_lark(grammar: str, **options: Any) -> Lark:
    """`Lark(grammar, **options)` for an LALR parser, its tables loaded from the
    cache when they are there."""
    settings = sorted((k, repr(v)) for k, v in options.items() if k not in _OBJECTS)
    key = f"{grammar}\0{settings}\0{lark.__version__}\0{sys.version_info[:2]}"
    path = cache_dir() / f"grammar-{hashlib.sha256(key.encode()).hexdigest()[:32]}.lark"
    objects = {k: v for k, v in options.items() if k in _OBJECTS}
    try:
        with path.open("rb") as f:
            # How lark loads its own cache: the tables, with the objects given anew.
            return Lark.__new__(Lark)._load(f, **objects)
    except Exception:  # missing, unreadable or corrupt: build it
        pass
    parser = Lark(grammar, **options)
    _save(parser, path)
    return parser


def _save(parser: Lark, path: Path) -> None:
    partial = None
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            dir=path.parent, prefix=path.name, suffix=".partial", delete=False
        ) as f:
            partial = Path(f.name)
            parser.save(f, exclude_options=_OBJECTS)
        os.replace(partial, path)
    except OSError:
        if partial is not None:
            partial.unlink(missing_ok=True)
