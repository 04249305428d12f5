"""The canonical layout of a spec, laid out from its token stream.

The formatter never builds or prints an AST: it re-spaces the grammar's own
tokens (`lines.source_lines`), so every construct the grammar accepts is
formatted, including ones added after this module was written. The rules:

- Line breaks are the author's: each input line stays one line (blank lines
  kept, at most one in a row, none just inside `{ }`); a `;` before a line
  break is dropped.
- Indentation: two spaces per open `{`, four per open `(` or `[` that spans
  lines, and a hanging four for a statement continued on the next line (a line
  that starts with `->`, or follows one that ends with an operator, `,`, `:`
  or `=`, as the post-lexer decides; or a `\\` continuation).
- Spacing between two tokens (`_space`): none inside brackets, before `,` `:`
  `)` `]` `.` `;` or after `.`, between a callee and its `(`, around `=` inside
  `(...)` (keyword arguments, parameter defaults), or after a unary sign; one
  space everywhere else.
- Alignment: in a run of lines of one block not broken by a blank line, the
  labels (`stem:   imagenet_stem`) and the keys of a train section (`epochs
  10`) are padded to the longest, plus one space; trailing comments on
  consecutive lines start in one column, two spaces after the longest code.
  Lines of one group and one token shape, one of which the author spaced
  out inside its code, are a table: each cell after a `,` a column, numbers
  right-aligned and words left-aligned.
- Comments are kept word for word.

Extending it: a new terminal in `grammar.lark` needs nothing here when one
space on each side suits it; otherwise add its name to one of the sets below
(`TIGHT_BEFORE`, `TIGHT_AFTER`, `BINARY`, ...). A new statement-level syntax
needs a rule only to align something, as `_head_length` does for labels.

`format_text` refuses text that does not parse, and proves that its output
parses to the same AST (spans aside) before returning it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from archdsl.format.lines import SEMICOLON, Line, Tok, source_lines
from archdsl.syntax.postlex import CONTINUES_AFTER, CONTINUES_BEFORE, OPENERS

CLOSERS = frozenset(OPENERS.values())
# A branch (`| ...`) is indented like a bracket: the lines after its first, up to
# the next `|` or the `}`, continue it.
INDENT = {"LBRACE": 2, "LPAR": 4, "LSQB": 4, "BAR": 2}
HANG = 4
BINARY = frozenset(
    {"_ARROW", "PLUS", "MINUS", "STAR", "SLASH", "DSLASH", "PERCENT", "POW", "COMPARE"}
)
SIGNS = frozenset({"PLUS", "MINUS"})
TIGHT_BEFORE = frozenset({"RPAR", "RSQB", "_COMMA", "_COLON", "_DOT", SEMICOLON})
TIGHT_AFTER = frozenset({"LPAR", "LSQB", "_DOT"})
# Words after which `(` opens an expression rather than a call's arguments.
SPACED_WORDS = frozenset({"if", "else", "and", "or", "not", "in"})
# A line that starts with one of these, or follows one that ends with one of
# those, continues a statement (the post-lexer's rule, less brackets and `|`).
HANGS_BEFORE = CONTINUES_BEFORE - CLOSERS - {"BAR", "_ELSE", "_PROJECT"}
HANGS_AFTER = CONTINUES_AFTER - set(OPENERS) - {"BAR", "_NL"}
COMMENT_GAP = 2
_WORD = re.compile(r"[A-Za-z_]\w*")
_NUMBER = re.compile(r" [-+]?[0-9.]")


class FormatError(Exception):
    """The formatter would have changed what a spec means: a bug, never the user's."""


def _is_operand(tok: Tok) -> bool:
    """Whether `tok` can end a value, so that a `-` after it subtracts."""
    return (
        tok.kind == "NAME"
        or tok.kind in CLOSERS
        or tok.kind in ("TRUE", "FALSE")
        or tok.text[:1].isdigit()
        or tok.text[:1] == '"'
    )


def _space(prev: Tok | None, tok: Tok, bracket: str | None, after_sign: bool) -> str:
    """The space between `prev` and `tok`; `bracket` is the innermost open bracket."""
    if prev is None or after_sign or tok.kind in TIGHT_BEFORE or prev.kind in TIGHT_AFTER:
        return ""
    if prev.kind in OPENERS and tok.kind == OPENERS[prev.kind]:
        return ""
    if tok.kind == "LPAR" and _WORD.fullmatch(prev.text) and prev.text not in SPACED_WORDS:
        return ""
    if "_EQUAL" in (tok.kind, prev.kind) and bracket == "LPAR":
        return ""
    return " "


@dataclass
class _Opened:
    kind: str  # LBRACE, LPAR or LSQB
    block: int  # the index of the line that opened it: one id per block
    train: bool  # a train section's braces


@dataclass
class _Row:
    indent: int
    head: str  # a label or train key to align, or ""
    cells: list[str]  # the rest of the code, split after each `,`
    kinds: tuple[str, ...]  # the terminals of the cells: rows alike form a table
    padded: bool  # the author spaced it out, as a table
    comment: str | None
    blank: bool
    group: tuple[int, int, int]  # lines whose heads align: (run, block, indent)
    suffix: str = ""  # ` \\` before a continued line
    code: str = ""

    @property
    def body(self) -> str:
        return "".join(self.cells) + self.suffix


def _close(stack: list[_Opened], kind: str) -> None:
    """A closer ends the branch open in its brackets, then the brackets; a `|` ends the
    branch before it."""
    while stack and stack[-1].kind == "BAR":
        stack.pop()
    if kind in CLOSERS and stack:
        stack.pop()


def _braces(stack: list[_Opened]) -> int:
    return sum(o.kind == "LBRACE" for o in stack)


def _head_length(tokens: list[Tok], inner: _Opened | None) -> int:
    """How many leading tokens form the part to align: `label:` or a train key."""
    if len(tokens) < 2 or tokens[0].kind != "NAME":
        return 0
    if tokens[1].kind == "_COLON":
        return 2
    if inner is not None and inner.train and tokens[1].kind not in ("_EQUAL", "LPAR"):
        return 1
    return 0


def _rows(lines: list[Line]) -> list[_Row]:
    rows: list[_Row] = []
    stack: list[_Opened] = []
    prev: Tok | None = None
    after_sign = False
    run = 0
    for number, line in enumerate(lines):
        run += line.blank_before
        tokens = line.tokens
        closing = 0
        while closing < len(tokens) and tokens[closing].kind in CLOSERS:
            closing += 1
        base = list(stack)
        for tok in tokens[: closing + 1]:
            if tok.kind in CLOSERS or tok.kind == "BAR":
                _close(base, tok.kind)
        leads = closing > 0 or (bool(tokens) and tokens[0].kind == "BAR")
        inner = base[-1] if base else None
        indent = sum(INDENT[o.kind] for o in base)
        block = next((o.block for o in reversed(base) if o.kind == "LBRACE"), -1)
        hanging = (
            bool(tokens)
            and not leads
            and (inner is None or inner.kind in ("LBRACE", "BAR"))
            and (
                line.backslash
                or tokens[0].kind in HANGS_BEFORE
                or (prev is not None and prev.kind in HANGS_AFTER)
            )
        )
        head_length = 0 if hanging else _head_length(tokens, inner)
        parts: list[str] = []
        for tok in tokens:
            bracket = stack[-1].kind if stack else None
            parts.append((_space(prev, tok, bracket, after_sign) if parts else "") + tok.text)
            after_sign = tok.kind in SIGNS and (prev is None or not _is_operand(prev))
            if tok.kind in OPENERS:
                starts_train = bool(tokens) and tokens[0].kind == "TRAIN"
                stack.append(_Opened(tok.kind, number, starts_train and tok.kind == "LBRACE"))
            elif tok.kind in CLOSERS or tok.kind == "BAR":
                _close(stack, tok.kind)
                if tok.kind == "BAR":
                    stack.append(_Opened("BAR", number, False))
            prev = tok
        head = "".join(parts[:head_length])
        cells = [""]
        rest = tokens[head_length:]
        for i, (tok, part) in enumerate(zip(rest, parts[head_length:], strict=True)):
            cells[-1] += part
            # A comma starts a table's next cell, unless it trails before a closer
            # (`[0.5,]`), which a cell of its own would part from it by a space.
            if tok.kind == "_COMMA" and not (i + 1 < len(rest) and rest[i + 1].kind in CLOSERS):
                cells.append("")
        cells[0] = cells[0].lstrip()
        opens = _braces(stack) > _braces(base)
        rows.append(
            _Row(
                indent + HANG * hanging,
                "" if opens else head,
                [head + " " + cells[0], *cells[1:]] if opens and head else cells,
                tuple(_shape_of(t) for t in tokens[head_length:]),
                # Spaced out as a table: more than one blank inside the code after the
                # head (not the padding of an aligned label).
                any(gap > 1 for gap in line.gaps[head_length + 1 :]),
                line.comment,
                line.blank_before,
                (run, block, indent),
            )
        )
        # A line that leaves a block open ends the run of lines aligned together.
        run += opens
        if number + 1 < len(lines) and lines[number + 1].backslash:
            rows[-1].suffix = " \\"
    return rows


# Values of any kind fill the same cell of a table: `true` may stand above `false` or `3`.
VALUES = frozenset({"INT", "FLOAT", "SIZE", "STRING", "TRUE", "FALSE"})


def _shape_of(tok: Tok) -> str:
    return "VALUE" if tok.kind in VALUES else tok.kind


def _tables(rows: list[_Row]) -> None:
    """Lay out as a table the rows of one group and one shape, if the author padded one.

    `inception(64,   96, 128)` above `inception(192, 96, 208)`: each cell after a
    `,` starts a column, numbers right-aligned, words left-aligned, as the zoo's
    GoogLeNet and MobileNet-v3 tables are written.
    """
    tables: dict[tuple[object, ...], list[_Row]] = {}
    for row in rows:
        if len(row.cells) > 1 and not row.suffix:
            tables.setdefault((row.group, row.kinds), []).append(row)
    for table in tables.values():
        if len(table) < 2 or not any(row.padded for row in table):
            continue
        done = [row.cells[0] for row in table]
        for i in range(1, len(table[0].cells)):
            cells = [" " + row.cells[i].lstrip() for row in table]
            if all(_NUMBER.match(c) for c in cells):
                end = max(len(d) + len(c) for d, c in zip(done, cells, strict=True))
                done = [d + c.rjust(end - len(d)) for d, c in zip(done, cells, strict=True)]
            else:
                start = max(len(d) for d in done)
                done = [d.ljust(start) + c for d, c in zip(done, cells, strict=True)]
        for row, text in zip(table, done, strict=True):
            row.cells = [text]


def _align(rows: list[_Row]) -> None:
    """Pad heads within their group, then line up trailing comments of consecutive lines."""
    _tables(rows)
    widths: dict[tuple[int, int, int], int] = {}
    for row in rows:
        if row.head and row.body:
            widths[row.group] = max(widths.get(row.group, 0), len(row.head))
    for row in rows:
        pad = " " * row.indent
        if row.head and row.body:
            row.code = pad + row.head.ljust(widths[row.group]) + " " + row.body
        elif row.head or row.body:
            row.code = pad + row.head + row.body
        else:
            row.code = pad
    start = 0
    while start < len(rows):
        end = start
        while end < len(rows) and _trailing(rows[end]) and (end == start or not rows[end].blank):
            end += 1
        if end == start:
            start += 1
            continue
        column = max(len(row.code) for row in rows[start:end]) + COMMENT_GAP
        for row in rows[start:end]:
            row.code = row.code.ljust(column)
        start = end


def _trailing(row: _Row) -> bool:
    return row.comment is not None and bool(row.head or row.body)


def layout(text: str) -> str:
    """`text` in the canonical layout (the text is not checked; see `format_text`)."""
    rows = _rows(source_lines(text))
    _align(rows)
    out: list[str] = []
    for i, row in enumerate(rows):
        opens = i > 0 and rows[i - 1].code.endswith("{") and rows[i - 1].comment is None
        closes = row.body.startswith("}") and not row.head
        if row.blank and i > 0 and not opens and not closes:
            out.append("")
        if row.comment is None:
            out.append(row.code.rstrip())
        elif row.head or row.body:
            out.append(row.code + row.comment)
        else:
            out.append(row.code + row.comment)
    return "".join(line + "\n" for line in out)


def format_text(text: str, file: str = "<string>") -> str:
    """The canonical layout of a spec. Raises ArchError when `text` does not parse,
    and FormatError if the layout would change the spec's meaning."""
    from archdsl.syntax.parser import parse

    before = parse(text, file)
    formatted = layout(text)
    if _shape(parse(formatted, file)) != _shape(before):
        raise FormatError(f"formatting {file} would change its meaning; please report it")
    return formatted


def _shape(node: Any) -> Any:
    """An AST with its spans left out: what the spec means, wherever it is written."""
    from archdsl.diagnostics import Span

    def position(value: Any) -> bool:  # a span, or the spans of several names
        return isinstance(value, Span) or (
            isinstance(value, tuple) and bool(value) and all(isinstance(v, Span) for v in value)
        )

    if isinstance(node, tuple) and hasattr(node, "_fields"):
        return (type(node).__name__, *(_shape(v) for v in node if not position(v)))
    if isinstance(node, list | tuple):
        return tuple(_shape(v) for v in node)
    return node
