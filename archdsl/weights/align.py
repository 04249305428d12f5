"""Pair a source state_dict with a model's: by name where the names are the model's,
else by order and shape (or, for a source whose order is lost, by kind and shape:
see `unordered`). No torch here: only names and shapes are compared.

Counters (`num_batches_tracked`) are left out of the pairing: some sources do not
save them, and they hold no learned value (see `place`).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

Shape = tuple[int, ...]
Layout = list[tuple[str, Shape]]  # a state_dict's keys and shapes, in its order

COUNTER = "num_batches_tracked"


@dataclass
class Alignment:
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (model key, source key)
    differ: list[tuple[str, Shape, str, Shape]] = field(default_factory=list)  # key, shape, ...
    missing: list[tuple[str, Shape]] = field(default_factory=list)  # the model's, not given
    extra: list[tuple[str, Shape]] = field(default_factory=list)  # given, not the model's
    how: str = "order and shape"  # what paired them, for the report and the metadata

    @property
    def wanted(self) -> int:
        """How many tensors the model learns or tracks, counters aside."""
        return len(self.pairs) + len(self.differ) + len(self.missing)

    @property
    def fits(self) -> bool:
        return not (self.differ or self.missing or self.extra)

    def problems(self) -> list[str]:
        """One line per tensor that does not fit, naming both sides."""
        lines = [
            f"shape differs: model {key} {_show(shape)}, source {src} {_show(src_shape)}"
            for key, shape, src, src_shape in self.differ
        ]
        lines += [f"missing from the source: model {k} {_show(s)}" for k, s in self.missing]
        lines += [f"not in the model: source {k} {_show(s)}" for k, s in self.extra]
        return lines


def _show(shape: Shape) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


def _learned(layout: Layout) -> Layout:
    return [(k, s) for k, s in layout if k.rsplit(".", 1)[-1] != COUNTER]


def align(model: Layout, source: Layout, ordered: bool = True) -> Alignment:
    """How `source` fits `model`. Names decide when most of the model's keys are among
    the source's; otherwise order and shape do, or kind and shape where the source's
    order is lost (not `ordered`)."""
    own, given = _learned(model), _learned(source)
    names = {k for k, _ in given}
    if sum(k in names for k, _ in own) * 2 > len(own):
        return _by_name(own, given)
    if not ordered:
        from archdsl.weights.unordered import by_kind_and_shape  # it builds on Alignment

        return by_kind_and_shape(own, given)
    return _by_order(own, given)


def _by_name(own: Layout, given: Layout) -> Alignment:
    shapes = dict(given)
    result = Alignment(how="name")
    for key, shape in own:
        if key not in shapes:
            result.missing.append((key, shape))
        elif shapes[key] != shape:
            result.differ.append((key, shape, key, shapes[key]))
        else:
            result.pairs.append((key, key))
    known = {k for k, _ in own}
    result.extra = [(k, s) for k, s in given if k not in known]
    return result


def _token(entry: tuple[str, Shape]) -> tuple[str, Shape]:
    """What must agree for two tensors to pair: the kind of tensor (`weight`,
    `running_var`) and its shape, so a lost tensor is found among equal shapes."""
    key, shape = entry
    return key.rsplit(".", 1)[-1], shape


def _by_order(own: Layout, given: Layout) -> Alignment:
    result = Alignment()
    matcher = difflib.SequenceMatcher(
        None, [_token(e) for e in own], [_token(e) for e in given], autojunk=False
    )
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        ours, theirs = own[i1:i2], given[j1:j2]
        if op == "equal":
            result.pairs += [(a, b) for (a, _), (b, _) in zip(ours, theirs, strict=True)]
            continue
        # Side by side, a replaced stretch is tensors in the same places: named otherwise
        # (placed, since order and shape agree) or shaped otherwise.
        common = min(len(ours), len(theirs))
        for (a, sa), (b, sb) in zip(ours[:common], theirs[:common], strict=True):
            if sa == sb:
                result.pairs.append((a, b))
            else:
                result.differ.append((a, sa, b, sb))
        result.missing += ours[common:]
        result.extra += theirs[common:]
    return result
