"""What elaboration may spend: layers, steps and nesting, and the diagnostics found.

A hostile spec cannot hang the checker or exhaust its memory: every limit is
checked as the model expands, and passing one stops it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NoReturn

from archdsl.diagnostics import Diagnostic, Note, Span
from archdsl.ops.shape_math import Shape, fmt_shape
from archdsl.syntax.limits import MAX_IDLE_STEPS, MAX_LAYERS, MAX_NODE_DEPTH, MAX_STEPS


class LimitExceeded(Exception):
    """The model would pass MAX_LAYERS, MAX_STEPS or MAX_NODE_DEPTH; elaboration stops."""


@dataclass(frozen=True, slots=True)
class Frame:
    """Where elaboration is: the block calls (and later repeat copies) above, as notes
    for diagnostics, and how many copies repeats make."""

    chain: tuple[tuple[str, Span], ...] = ()
    copies: int = 1
    depth: int = 1  # IR nodes around the steps here; the model's root is one


class Budget:
    """The diagnostics of one model's elaboration, and the work it has spent."""

    def __init__(self) -> None:
        self.diagnostics: list[Diagnostic] = []
        self._seen: set[tuple[str, str, Span | None]] = set()
        self.layers = 0
        self.steps = 0
        self.idle_steps = 0

    # ---- reporting --------------------------------------------------------------
    def report(self, diag: Diagnostic, frame: Frame, shape: Shape | None = None) -> None:
        key = (diag.code, diag.message, diag.span)
        if key in self._seen:
            return
        self._seen.add(key)
        notes: list[Note] = []
        if shape is not None:
            notes.append(Note(f"the input here is {fmt_shape(shape)}"))
        for where, span in reversed(frame.chain):
            notes.append(Note(where, span))
        self.diagnostics.append(diag.with_notes(*notes) if notes else diag)

    def refuse(self, message: str, span: Span, frame: Frame, help: str | None = None) -> NoReturn:
        """Report a limit the model passes, and stop elaborating it."""
        self.report(Diagnostic("limit", message, span, help=help), frame)
        raise LimitExceeded()

    def within_limit(self, total: int, span: Span, frame: Frame) -> None:
        """Refuse, before expanding anything, what would make over MAX_LAYERS copies."""
        if total <= MAX_LAYERS:
            return
        self.refuse(
            f"this expands to at least {total:,} layers; the limit is {MAX_LAYERS:,}",
            span,
            frame,
            help="a model this large cannot be built; check the repeat counts",
        )

    def nested(self, frame: Frame, levels: int, span: Span) -> Frame:
        """The frame `levels` IR nodes further in; past MAX_NODE_DEPTH, stop.

        A tree deeper than that could not be written as JSON and read back
        (parsers stop near 200 levels), nor walked by recursive code such as
        torch's module traversal.
        """
        inner = replace(frame, depth=frame.depth + levels)
        if inner.depth <= MAX_NODE_DEPTH:
            return inner
        self.refuse(
            f"blocks, repeats, residuals, branches and labelled groups nest more than "
            f"{MAX_NODE_DEPTH} deep here",
            span,
            frame,
            help="flatten some of the nesting into sequences",
        )

    def count_steps(self, n: int, span: Span, frame: Frame, ahead: bool = False) -> None:
        """Charge `n` steps to the model against MAX_STEPS, or, `ahead`, refuse a
        lower bound `n` on what a step is about to expand to that alone passes it.

        Layers alone do not bound the work: steps that expand to nothing, such as
        a false `if` in a block that calls the next twice, would run unchecked.
        """
        if (n if ahead else self.steps + n) <= MAX_STEPS:
            if not ahead:
                self.steps += n
            return
        self.refuse(
            f"the model takes more than {MAX_STEPS:,} steps to expand, "
            "even if few of them are layers",
            span,
            frame,
            help="check the repeat counts and the blocks each block calls",
        )

    def count_idle(self, span: Span, frame: Frame) -> None:
        """Charge a step that made no layer against MAX_IDLE_STEPS (plus one per layer).

        Such steps would otherwise run up to MAX_STEPS, seconds of work, before
        a block tree that doubles at each level into nothing was refused.
        """
        self.idle_steps += 1
        if self.idle_steps <= MAX_IDLE_STEPS + self.layers:
            return
        self.refuse(
            f"more than {MAX_IDLE_STEPS:,} steps of the model expand to no layer",
            span,
            frame,
            help="check the `if` conditions, the repeat counts and the blocks each block calls",
        )
