"""What the language server knows about one document: its diagnostics, its
parsed files and its checked IR, and the answers drawn from them.

Positions here are the diagnostics' own: 1-based lines and columns. The IR is
used only through `node.walk()` and each node's span, shapes and counts, so a
new kind of node needs nothing here.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from archdsl.diagnostics import ArchError, Diagnostic, Span
from archdsl.ir import Model, Node, Program, describe
from archdsl.lsp.scopes import Names, bind_files, walk_ast
from archdsl.ops.registry import OPS
from archdsl.ops.shape_math import fmt_shape
from archdsl.report.summary import human
from archdsl.syntax import ast
from archdsl.syntax.limits import RECURSION_LIMIT
from archdsl.syntax.source_file import Unreadable
from archdsl.syntax.syntax_errors import KEYWORDS

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def file_name(path: Path | None) -> str:
    """The name a document's spans carry: its absolute path, or `<untitled>`."""
    return str(path.resolve()) if path is not None else "<untitled>"


def path_of(name: str) -> Path:
    """The file a span's name stands for (imports are named relative to the working folder)."""
    return Path(os.path.abspath(name))


@dataclass
class Analysis:
    """A document checked as `archdsl check` would check it, with everything kept."""

    name: str
    text: str
    diagnostics: list[Diagnostic]
    files: dict[str, ast.SourceFile] = field(default_factory=dict)
    program: Program | None = None
    # For a library with no model: the spec beside it whose models expand its blocks.
    host: str | None = None
    _names: Names | None = field(default=None, repr=False)
    _all_names: Names | None = field(default=None, repr=False)
    _by_span: dict[Span, list[tuple[Model, Node]]] | None = field(default=None, repr=False)

    def names(self) -> Names:
        """Every name of this document's and its `use`d files' models and blocks, bound."""
        if self._names is None:
            self._names = bind_files(self.files.values(), self.text_of)
        return self._names

    def all_names(self) -> Names:
        """`names()`, and those of the specs that `use` these files (see `users.py`)."""
        from archdsl.lsp.users import users

        if self._all_names is None:
            others = users(list(self.files))
            self._all_names = bind_files([*self.files.values(), *others], self.text_of)
        return self._all_names

    def text_of(self, name: str) -> str:
        return self.text if name == self.name else _read(name)

    # ---- looking things up -----------------------------------------------------------

    def nodes_at(self, line: int, col: int) -> list[tuple[Model, Node]]:
        """The IR nodes whose span in this file holds the position, innermost first."""
        found = [
            (model, node)
            for model, node in self.nodes()
            if self.here(node.span) and contains(node.span, line, col)
        ]
        found.sort(key=lambda pair: span_size(pair[1].span))
        return found

    def nodes_spanning(self, span: Span) -> list[tuple[Model, Node]]:
        """The IR nodes made from exactly `span` (one per expansion), outermost first."""
        if self._by_span is None:
            self._by_span = {}
            for model, node in self.nodes():
                self._by_span.setdefault(node.span, []).append((model, node))
        return self._by_span.get(span, [])

    def nodes(self) -> Iterator[tuple[Model, Node]]:
        if self.program is None:
            return
        for model in self.program.models:
            for node in model.root.walk():
                if node is not model.root:
                    yield model, node

    def here(self, span: Span) -> bool:
        """Whether a span of the IR lies in this document (a host names it its own way)."""
        return span.file == self.name or (
            self.host is not None and path_of(span.file) == Path(self.name)
        )

    def block(self, name: str) -> ast.BlockDef | None:
        for src in self.files.values():
            for block in src.blocks:
                if block.name == name:
                    return block
        return None

    def blocks(self) -> list[ast.BlockDef]:
        return [block for src in self.files.values() for block in src.blocks]

    def place(self, diag: Diagnostic) -> Span:
        """Where in this document to show a diagnostic: its own span; for one in another
        file, the first note here (the call that led there), else the `use` of that file."""
        span = diag.span
        if span is not None and span.file == self.name:
            return span
        here = [n.span for n in diag.notes if n.span is not None and n.span.file == self.name]
        if here:
            return here[0]
        src = self.files.get(self.name)
        uses = src.uses if src is not None else []
        if span is not None and self.name != "<untitled>":
            folder = Path(self.name).parent
            target = path_of(span.file)
            for use in uses:
                if (folder / use.path).resolve() == target:
                    return use.span
        return uses[0].span if uses else Span(self.name, 1, 1, 1, 1)

    def word_at(self, line: int, col: int) -> str | None:
        """The name under the cursor (or just before it)."""
        lines = self.text.split("\n")
        if not 1 <= line <= len(lines):
            return None
        for match in WORD.finditer(lines[line - 1]):
            if match.start() + 1 <= col <= match.end() + 1:
                return match.group()
        return None


def analyse(text: str, path: Path | None) -> Analysis:
    """Parse, resolve `use`s and elaborate `text`; every error kept, none raised."""
    from archdsl.elaborate.program import elaborate
    from archdsl.syntax.imports import load_unit

    name = file_name(path)
    old_limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old_limit, RECURSION_LIMIT))
    try:
        unit = load_unit(text, name, path)
        program, diags = elaborate(unit)
    except ArchError as exc:
        # Half-typed text: the files it `use`s still offer their blocks.
        return Analysis(name, text, exc.diagnostics, _used_files(text, path))
    finally:
        sys.setrecursionlimit(old_limit)
    doc = Analysis(name, text, diags, dict(unit.files), program)
    if not program.models and path is not None and unit.main.blocks:
        _borrow_host(doc, path)
    return doc


def _borrow_host(doc: Analysis, path: Path) -> None:
    """Give a library the IR of the first spec beside it, or one folder up, that uses
    it, so that hover and inlay hints work inside its blocks."""
    from archdsl.elaborate.program import elaborate
    from archdsl.syntax.imports import load_unit
    from archdsl.syntax.source_file import read_source

    target = path.resolve()
    for folder in (target.parent, target.parent.parent):
        for candidate in sorted(folder.glob("*.arch")):
            if candidate.resolve() == target:
                continue
            try:
                text = read_source(candidate, candidate.name)
            except Unreadable:
                continue
            uses = [(candidate.parent / m.group(1)).resolve() for m in USE.finditer(text)]
            if target not in uses:
                continue
            try:
                unit = load_unit(text, file_name(candidate), candidate)
                program, diags = elaborate(unit)
            except ArchError:
                continue
            if program.models and not any(d.severity.value == "error" for d in diags):
                doc.program, doc.host = program, str(candidate)
                return


USE = re.compile(r'^\s*use\s+"([^"\n]*)"', re.MULTILINE)


def _used_files(text: str, path: Path | None) -> dict[str, ast.SourceFile]:
    """The files named by the `use` lines of text that does not parse, those that do."""
    from archdsl.syntax.imports import display_path, load_unit
    from archdsl.syntax.source_file import read_source

    folder = path.resolve().parent if path is not None else Path.cwd()
    files: dict[str, ast.SourceFile] = {}
    for match in USE.finditer(text):
        target = folder / match.group(1)
        try:
            unit = load_unit(read_source(target, match.group(1)), display_path(target), target)
        except (ArchError, Unreadable):  # a library being edited may be broken too
            continue
        files.update(unit.files)
    return files


# ---- spans -----------------------------------------------------------------------------


def contains(span: Span, line: int, col: int) -> bool:
    return (span.line, span.col) <= (line, col) < (span.end_line, span.end_col) or (
        (line, col) == (span.end_line, span.end_col)
    )


def span_size(span: Span) -> tuple[int, int]:
    return (span.end_line - span.line, span.end_col - span.col)


# ---- hover and inlay hints ---------------------------------------------------------------


def hover(doc: Analysis, line: int, col: int) -> str | None:
    """Markdown for the name or step under the cursor: a named value's shape and where
    it is made; a step's shapes, params, MACs and receptive field."""
    from archdsl.lsp.named_values import value_hover

    value = value_hover(doc, line, col)
    if value is not None:
        return value
    label = _label_at(doc, line, col)
    found = doc.nodes_at(line, col) if label is None else _labelled(doc, label)
    if not found:
        return None
    model, node = found[0]
    copies = sum(1 for m, n in doc.nodes() if n.span == node.span)
    lines = [
        f"**{node.path}** `{describe(node)}`",
        "",
        f"{fmt_shape(node.in_shape)} → {fmt_shape(node.out_shape)}",
        "",
        f"- params: {node.params:,} ({human(node.params)})",
        f"- MACs: {node.macs:,} ({human(node.macs)})",
    ]
    if node.buffers:
        lines.append(f"- buffers: {node.buffers:,}")
    field_ = _receptive_field(model, node)
    if field_ is not None:
        lines.append(f"- receptive field: {field_}")
    if copies > 1:
        lines += ["", f"one of {copies} expansions; shown: the first, in model `{model.name}`"]
    if doc.host is not None:
        lines += ["", f"as {Path(doc.host).name} uses it"]
    return "\n".join(lines)


def _label_at(doc: Analysis, line: int, col: int) -> ast.Chain | None:
    src = doc.files.get(doc.name)
    if src is None:
        return None
    for node in walk_ast(src):
        if not isinstance(node, ast.Chain) or node.label_span is None:
            continue
        if contains(node.label_span, line, col):
            return node
    return None


def _labelled(doc: Analysis, chain: ast.Chain) -> list[tuple[Model, Node]]:
    """The nodes a labelled chain became: the group of its name inside the chain's span."""
    found = [
        (model, node)
        for model, node in doc.nodes()
        if doc.here(node.span) and node.name == chain.label
        and contains(chain.span, node.span.line, node.span.col)
    ]  # fmt: skip
    return sorted(found, key=lambda pair: span_size(pair[1].span), reverse=True)


def _receptive_field(model: Model, node: Node) -> str | None:
    from archdsl.analysis.receptive_field import receptive_fields

    found = (receptive_fields(model) or {}).get(node.path)
    if found is None:
        return None
    if found.whole:
        return "the whole input"
    size, jump = found.size, found.jump
    return f"{size[0]}x{size[1]}, jump {jump[0]}x{jump[1]}"


def inlay_hints(doc: Analysis) -> list[tuple[int, int, str]]:
    """(line, column, text): the output shape after the last step ending on each line.

    A line of a block used more than once with different shapes gets no hint.
    """
    from archdsl.lsp.named_values import value_hints

    last: dict[int, tuple[int, set[tuple[int, ...]]]] = {}
    for _, node in doc.nodes():
        span = node.span
        if not doc.here(span):
            continue
        end = last.get(span.end_line)
        if end is None or span.end_col > end[0]:
            last[span.end_line] = (span.end_col, {node.out_shape})
        elif span.end_col == end[0]:
            end[1].add(node.out_shape)
    lines = doc.text.split("\n")
    hints = value_hints(doc)
    for line, (_, shapes) in sorted(last.items()):
        if len(shapes) == 1 and line <= len(lines):
            code = lines[line - 1].split("#", 1)[0].rstrip()
            hints.append((line, len(code) + 1, f"  {fmt_shape(next(iter(shapes)))}"))
    return sorted(hints)


# ---- definitions ----------------------------------------------------------------------


def definition(doc: Analysis, line: int, col: int) -> Span | None:
    """Where the name under the cursor is defined: a named value, a label, an input, a
    parameter, a `let` or a `repeat` index as the scoping rules find it; else a block."""
    occ = doc.names().at(doc.name, line, col)
    if occ is not None and occ.binding is not None:
        return occ.binding.span
    name = doc.word_at(line, col)
    if name is None:
        return None
    if occ is not None:  # read before it is made (an error): its definition further down
        later = [b for b in doc.names().bindings if b.owner is occ.owner and b.name == name]
        if later:
            return later[0].span
    block = doc.block(name)
    return block.name_span if block is not None else None


# ---- completion -------------------------------------------------------------------------


@dataclass(frozen=True)
class Completion:
    label: str
    kind: str  # op, block, argument, keyword, value, property
    detail: str
    insert: str


MERGES = ("add", "mul", "concat")
AFTER_OUTPUT = re.compile(r"^\s*output\s+[\w\s,]*$")
AFTER_DOT = re.compile(r"\b([A-Za-z_]\w*)\.\w*$")


def completions(doc: Analysis, text: str, line: int, col: int) -> list[Completion]:
    """What may come at the cursor: after `output`, the named values; inside a call's `(`,
    its arguments (and the values, for a merge or a block); else values, steps and words."""
    from archdsl.lsp.named_values import value_completions

    lines = text.split("\n")
    current = lines[line - 1][: col - 1] if line <= len(lines) else ""
    if doc.name not in doc.files and line <= len(lines):
        # Half-typed text: the names come from the text without the line being typed.
        path = None if doc.name == "<untitled>" else path_of(doc.name)
        doc = analyse("\n".join([*lines[: line - 1], "", *lines[line:]]), path)
    values = value_completions(doc, line, col)
    if AFTER_OUTPUT.match(current):
        return values
    dot = AFTER_DOT.search(current)
    if dot is not None:
        owner = dot.group(1)
        return _properties(owner) if owner == "in" or owner in {v.label for v in values} else []
    before = "\n".join([*lines[: line - 1], current])
    callee = _open_call(before)
    if callee is not None:
        takes_values = callee in MERGES or doc.block(callee) is not None
        return _arguments(doc, callee) + (values if takes_values else [])
    items = values + [
        Completion(name, "op", cls.doc.splitlines()[0] if cls.doc else "op", name)
        for name, cls in sorted(OPS.items())
    ]
    items += [Completion(b.name, "block", _block_signature(b), b.name) for b in doc.blocks()]
    items += [
        Completion(word, "keyword", "keyword", word) for word in sorted(set(KEYWORDS.values()))
    ]
    return items


def _properties(owner: str) -> list[Completion]:
    """`x.channels` and the rest: what an expression reads of a value's shape."""
    from archdsl.elaborate.expr import IN_ATTRS

    return [Completion(a, "property", f"{owner}.{a}", a) for a in IN_ATTRS]


def _open_call(before: str) -> str | None:
    """The name before the innermost `(` still open at the end of `before`."""
    depth = 0
    for i in range(len(before) - 1, -1, -1):
        char = before[i]
        if char in ")]":
            depth += 1
        elif char in "[{":
            if depth == 0:
                return None
            depth -= 1
        elif char == "(":
            if depth == 0:
                match = re.search(r"([A-Za-z_]\w*)\s*$", before[:i])
                return match.group(1) if match else None
            depth -= 1
    return None


def _arguments(doc: Analysis, callee: str) -> list[Completion]:
    if callee in OPS:
        signature = OPS[callee].signature()
    else:
        block = doc.block(callee)
        if block is None:
            return []
        signature = [
            (p.name, _source(doc, p.default.span) if p.default else None) for p in block.params
        ]
    return [
        Completion(
            name,
            "argument",
            f"{callee}: required" if default is None else f"{callee}: default {default}",
            f"{name}=",
        )
        for name, default in signature
    ]


def _block_signature(block: ast.BlockDef) -> str:
    return f"block {block.name}({', '.join(p.name for p in block.params)})"


def _source(doc: Analysis, span: Span) -> str:
    """The text a span covers, read from its file."""
    text = doc.text if span.file == doc.name else _read(span.file)
    lines = text.split("\n")
    if span.line != span.end_line or span.line > len(lines):
        return "…"
    return lines[span.line - 1][span.col - 1 : span.end_col - 1]


def _read(name: str) -> str:
    try:
        return path_of(name).read_text(encoding="utf-8-sig")
    except OSError:
        return ""


# ---- symbols ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Symbol:
    name: str
    kind: str  # model, block, label, value, train
    span: Span
    selection: Span
    children: tuple[Symbol, ...] = ()


def symbols(doc: Analysis) -> list[Symbol]:
    """The document's models and blocks, each with its labelled steps and named values."""
    from archdsl.lsp.named_values import value_symbols

    src = doc.files.get(doc.name)
    if src is None:
        return []
    out = []
    for kind, defs in (("block", src.blocks), ("model", src.models)):
        for d in defs:
            labels = [
                Symbol(n.label, "label", _labelled_span(n), n.label_span)
                for n in walk_ast(d.body)
                if isinstance(n, ast.Chain) and n.label and n.label_span is not None
            ]
            children = sorted(
                [*labels, *value_symbols(doc, d)], key=lambda s: (s.span.line, s.span.col)
            )
            out.append(Symbol(d.name, kind, d.span, d.name_span, tuple(children)))
    for train in src.trains:
        out.append(
            Symbol(train.model or "train", "train", train.span, train.model_span or train.span)
        )
    return sorted(out, key=lambda s: (s.span.line, s.span.col))


def _labelled_span(chain: ast.Chain) -> Span:
    assert chain.label_span is not None
    return chain.label_span.to(chain.span)
