"""`archdsl lsp`: the language server editors start."""

from __future__ import annotations

from archdsl.cli.console import fail


def lsp() -> None:
    """Serve the Language Server Protocol on stdin and stdout, for editors."""
    try:
        from archdsl.lsp.server import serve
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] not in ("pygls", "lsprotocol"):
            raise
        fail("the language server needs pygls: pip install 'archdsl[lsp]'", 2)
    serve()
