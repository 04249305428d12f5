"""Commands that need PyTorch say so in one line when it is not installed."""

from __future__ import annotations

from archdsl.cli.terminal import fail


def require_torch(command: str, extra: str) -> None:
    """Exit with the install command for `extra` when torch cannot be imported."""
    try:
        import torch  # noqa: F401
    except ImportError:
        fail(f"`archdsl {command}` needs PyTorch: pip install 'archdsl[{extra}]'", 1)
