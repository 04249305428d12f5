"""Pair a model's tensors with a source whose order is lost, by kind and shape.

A `.safetensors` file stores its keys sorted, so the module order that pairs a
`.pth` file is gone. Each of the model's tensors, in the model's order, takes an
unused source tensor of the same kind (`weight`, `running_var`) and shape:
for a module's later tensors, the one of the source module that gave its first;
else, among equals, the one nearest the source tensor placed last (the longest
common dotted prefix: `layer1.0.bn1` after `layer1.0.conv1`), then the first
in natural name order (`features.2` before `features.10`).
"""

from __future__ import annotations

import re

from archdsl.weights.align import Alignment, Layout


def _natural(key: str) -> list[tuple[int, int | str]]:
    """`features.10.weight` after `features.2.weight`: numbers compared as numbers."""
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", key) if p]


def _shared(a: list[str], b: list[str]) -> int:
    """How many leading dotted parts two keys share."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def by_kind_and_shape(own: Layout, given: Layout) -> Alignment:
    result = Alignment(how="kind and shape, in name order")
    pool = sorted(given, key=lambda e: _natural(e[0]))
    shapes = dict(given)
    used: set[str] = set()
    source_module: dict[str, str] = {}  # model module -> the source module it draws on
    last: list[str] = []  # the dotted parts of the source key placed last
    for key, shape in own:
        module, _, kind = key.rpartition(".")
        if module in source_module:
            src = f"{source_module[module]}.{kind}"
            if src not in shapes or src in used:
                result.missing.append((key, shape))
                continue
            used.add(src)
            if shapes[src] == shape:
                result.pairs.append((key, src))
            else:
                result.differ.append((key, shape, src, shapes[src]))
            continue
        candidates = [
            k for k, s in pool if s == shape and k not in used and k.rpartition(".")[2] == kind
        ]
        if not candidates:
            result.missing.append((key, shape))
            continue
        # max keeps the first of equals: the pool is in natural order.
        src = max(candidates, key=lambda k: _shared(k.split("."), last))
        used.add(src)
        source_module[module] = src.rpartition(".")[0]
        last = src.split(".")
        result.pairs.append((key, src))
    _shaped_otherwise(result, shapes, used, source_module)
    result.extra = [(k, s) for k, s in pool if k not in used]
    return result


def _shaped_otherwise(
    result: Alignment, shapes: dict[str, tuple[int, ...]], used: set[str], modules: dict[str, str]
) -> None:
    """A tensor missing from a module whose other tensors were found: the source module's
    tensor of that kind, left unused, is the same tensor with another shape."""
    still: list[tuple[str, tuple[int, ...]]] = []
    for key, shape in result.missing:
        module, _, kind = key.rpartition(".")
        src = f"{modules[module]}.{kind}" if module in modules else ""
        if src in shapes and src not in used:
            used.add(src)
            result.differ.append((key, shape, src, shapes[src]))
        else:
            still.append((key, shape))
    result.missing = still
