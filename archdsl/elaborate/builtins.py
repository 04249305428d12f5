"""The functions expressions may call, each with its signature and its cost bound.

Arguments reach a function already bounded (integers of at most MAX_INT_BITS
bits, finite floats), which keeps `min`, `abs`, `floor` and the like cheap. A
function whose cost grows with an argument's value declares a bound on it, as
the expansion limits do for repeats: `round(1, -10**7)` would compute
10**(10**7), but past MAX_ROUND_DIGITS every answer is the same, so the digits
are clamped there and the answer stays exact.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from archdsl.syntax.limits import MAX_INT_BITS

# Digits beyond which `round` gives the same answer for every bounded number:
# floats stop near 1.8e308 and 5e-324, integers below 2**MAX_INT_BITS.
MAX_ROUND_DIGITS = 330
assert 10 ** (MAX_ROUND_DIGITS - 1) > 2**MAX_INT_BITS


def _divisible(value: Any, divisor: Any, min_value: Any = None) -> int:
    """Round to a multiple of `divisor`, never more than 10% down (MobileNet's rule)."""
    low = divisor if min_value is None else min_value
    rounded = max(low, int(value + divisor / 2) // divisor * divisor)
    return int(rounded + divisor if rounded < 0.9 * value else rounded)


def _round(number: Any, ndigits: Any = None) -> Any:
    if ndigits is None:
        return round(number)
    if not isinstance(ndigits, int):
        raise TypeError(f"the digits must be a whole number, got {ndigits!r}")
    return round(number, max(-MAX_ROUND_DIGITS, min(MAX_ROUND_DIGITS, ndigits)))


@dataclass(frozen=True, slots=True)
class Builtin:
    """A function and its parameters: `params` in order, the first `required` needed;
    `variadic` functions take any number (at least `required`) of unnamed arguments."""

    fn: Callable[..., Any]
    params: tuple[str, ...]
    required: int
    variadic: bool = False

    def signature(self, name: str) -> str:
        if self.variadic:
            return f"{name}(a, b, ...)"
        shown = [p if i < self.required else f"{p}=..." for i, p in enumerate(self.params)]
        return f"{name}({', '.join(shown)})"

    def bind(self, args: list[Any], kwargs: dict[str, Any]) -> str | None:
        """Why these arguments do not fit the signature, or None when they do."""
        if self.variadic:
            if kwargs:
                return "takes no named arguments"
            if len(args) < self.required:
                return f"needs at least {self.required} arguments"
            return None
        if len(args) > len(self.params):
            return f"takes at most {len(self.params)} argument{'s' * (len(self.params) > 1)}"
        for key in kwargs:
            if key not in self.params:
                return f"has no argument `{key}`"
            if self.params.index(key) < len(args):
                return f"`{key}` is given twice"
        given = len(args) + sum(1 for p in self.params[len(args) : self.required] if p in kwargs)
        return None if given >= self.required else "is missing an argument"


BUILTINS: dict[str, Builtin] = {
    "min": Builtin(min, (), 2, variadic=True),
    "max": Builtin(max, (), 2, variadic=True),
    "abs": Builtin(abs, ("x",), 1),
    "round": Builtin(_round, ("number", "ndigits"), 1),
    "floor": Builtin(math.floor, ("x",), 1),
    "ceil": Builtin(math.ceil, ("x",), 1),
    "int": Builtin(int, ("x",), 1),
    "float": Builtin(float, ("x",), 1),
    "divisible": Builtin(_divisible, ("value", "divisor", "min_value"), 2),
}
