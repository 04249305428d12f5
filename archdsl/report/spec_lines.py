"""How long a spec is: its own lines plus those of the library blocks it uses.

Blank lines and comments do not count. A library block counts when the spec
calls it, directly or through other blocks, whichever branch of an `if` the
call sits in; the rest of an imported library does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from archdsl.diagnostics import ArchError
from archdsl.loader import read_spec
from archdsl.syntax import ast
from archdsl.syntax.imports import display_path, load_unit


@dataclass(frozen=True, slots=True)
class SpecLines:
    own: int  # the spec file's code lines
    library: int  # code lines of the imported blocks it uses
    blocks: tuple[str, ...]  # those imported blocks, in the order the walk reaches them

    @property
    def total(self) -> int:
        return self.own + self.library


def is_code(line: str) -> bool:
    """A line that is neither blank nor only a comment."""
    text = line.strip()
    return bool(text) and not text.startswith("#")


def code_lines(text: str, first: int = 1, last: int | None = None) -> int:
    """Code lines of `text` between 1-based lines `first` and `last`, both included."""
    lines = text.splitlines()[first - 1 : last]
    return sum(1 for line in lines if is_code(line))


def spec_lines(path: Path) -> SpecLines:
    """Count a spec's lines; raises ArchError when it or an import cannot be parsed."""
    name = display_path(path)
    unit = load_unit(read_spec(path), name, path)
    errors = [d for d in unit.diagnostics if d.severity.value == "error"]
    if errors:
        raise ArchError(errors, unit.sources)
    defined = {b.name: b for f in unit.files.values() for b in f.blocks}
    used = _used_blocks(unit.main, defined)
    imported = [defined[b] for b in used if defined[b].span.file != name]
    library = sum(
        code_lines(unit.sources[b.span.file], b.span.line, b.span.end_line) for b in imported
    )
    return SpecLines(code_lines(unit.sources[name]), library, tuple(b.name for b in imported))


def _used_blocks(main: ast.SourceFile, defined: dict[str, ast.BlockDef]) -> list[str]:
    """Blocks the file's models call, directly or through other blocks, first call first."""
    order: list[str] = []
    pending = [stmt for model in main.models for stmt in model.body.stmts]
    pending.reverse()
    while pending:
        stmt = pending.pop()
        for call in _calls(stmt):
            if call.name in defined and call.name not in order:
                order.append(call.name)
                pending.extend(reversed(defined[call.name].body.stmts))
    return order


def _calls(stmt: ast.Stmt) -> Iterator[ast.Call]:
    """Every call in a statement, in source order."""
    if isinstance(stmt, ast.Chain):
        for step in stmt.steps:
            yield from _step_calls(step)


def _step_calls(step: ast.Step | ast.Body | None) -> Iterator[ast.Call]:
    if step is None:
        return
    if isinstance(step, ast.Call):
        yield step
    elif isinstance(step, ast.Body):
        for stmt in step.stmts:
            yield from _calls(stmt)
    elif isinstance(step, ast.Residual):
        yield from _step_calls(step.body)
        yield from _step_calls(step.project)
    elif isinstance(step, ast.Parallel):
        for branch in step.branches:
            for stmt in branch.stmts:
                yield from _calls(stmt)
    elif isinstance(step, ast.Repeat):
        yield from _step_calls(step.body)
    elif isinstance(step, ast.If):
        yield from _step_calls(step.then)
        yield from _step_calls(step.orelse)
    else:
        yield from _step_calls(step.body)
