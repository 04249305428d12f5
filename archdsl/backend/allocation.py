"""Whether a checked model can be built here, asked before torch allocates anything.

`check` counts parameters without storing them, so it accepts models that
no machine can hold; torch would fail deep inside (or, worse, start filling
memory). These checks compare the bytes a model needs with what torch can
address and what this process may still allocate. No torch here.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

from archdsl.ir import Model, OpNode

BYTES_PER_VALUE = 4  # float32
# torch sizes a tensor's storage in a signed 64-bit count of bytes.
ADDRESSABLE = 2**63 - 1


class TooLarge(Exception):
    """A model (or a file) needs more memory than this process can have."""


def model_bytes(model: Model, batch: int = 0) -> int:
    """Weights and buffers, plus every op's output for `batch` samples (a forward pass)."""
    values = model.params + model.buffers
    if batch:
        outputs = sum(math.prod(n.out_shape) for n in model.root.walk() if isinstance(n, OpNode))
        values += batch * (math.prod(model.input) + outputs)
    return values * BYTES_PER_VALUE


def check_addressable(model: Model, batch: int = 0) -> None:
    """TooLarge when torch cannot even describe the model's tensors."""
    need = model_bytes(model, batch)
    if need > ADDRESSABLE:
        raise TooLarge(
            f"model `{model.name}` needs {need:.3g} bytes ({model.params:,} parameters), "
            "more than torch can address; it can be checked but not built"
        )


def check_fits(model: Model, batch: int = 0) -> None:
    """TooLarge when the model (and a forward pass of `batch`) needs more than is free."""
    check_addressable(model, batch)
    need = model_bytes(model, batch)
    free = available_bytes()
    if free is not None and need > free:
        raise TooLarge(
            f"model `{model.name}` needs about {size(need)} to build "
            f"({model.params:,} parameters{f', batch {batch}' if batch else ''}); "
            f"this process has about {size(free)} free"
        )


def check_file_fits(path: Path, length: int) -> None:
    """TooLarge when reading a file of `length` bytes whole would exhaust memory."""
    free = available_bytes()
    if free is not None and length > free:
        raise TooLarge(f"{path} is {size(length)}; this process has about {size(free)} free")


def available_bytes() -> int | None:
    """Memory this process may still take: free memory, within its address-space limit."""
    limits = [_meminfo_available(), _address_space_left()]
    known = [n for n in limits if n is not None]
    return min(known) if known else None


def _meminfo_available() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _address_space_left() -> int | None:
    if sys.platform == "win32":  # no address-space limit to read
        return None
    import resource

    soft, _ = resource.getrlimit(resource.RLIMIT_AS)
    if soft == resource.RLIM_INFINITY:
        return None
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                return max(0, soft - int(line.split()[1]) * 1024)
    except (OSError, ValueError, IndexError):
        pass
    return soft


def size(n: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000:
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.3g} EB"
