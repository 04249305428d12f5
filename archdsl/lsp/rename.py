"""References and renaming of named values (values, labels, inputs, parameters, `let`s,
`repeat` indices) and of blocks, by the scoping rules of `scopes.py`.

A value's references are the places its one definition is read; a block's are its
definition and every call of it in the files the document knows (itself, what it
`use`s, and the specs found to `use` those: `users.py`), as are the keywords that
name a block's parameter. A rename changes all of them, and is refused for a new
name that is no name, a keyword, an op, or a name the model or block (for a
block: the files) already gives or reads, since either would change what some
name means.
"""

from __future__ import annotations

from archdsl.diagnostics import Span
from archdsl.lsp.analysis import WORD, Analysis
from archdsl.lsp.scopes import Binding, Names, Owner, touches, walk_ast
from archdsl.ops.registry import OPS
from archdsl.syntax import ast
from archdsl.syntax.syntax_errors import KEYWORDS


class RenameRefused(Exception):
    """Why a rename cannot be made; the message is shown to the user."""


def _target(doc: Analysis, names: Names, line: int, col: int) -> Binding | ast.BlockDef | None:
    """The definition the name under the cursor refers to: a binding or a block."""
    occ = names.at(doc.name, line, col)
    if occ is not None:
        return occ.binding
    for call in names.calls:
        if call.name_span.file == doc.name and touches(call.name_span, line, col):
            return doc.block(call.name)
    src = doc.files.get(doc.name)
    for block in src.blocks if src is not None else []:
        if touches(block.name_span, line, col):
            return block
    return None


def references(
    doc: Analysis, line: int, col: int, declaration: bool = True, names: Names | None = None
) -> list[Span]:
    """Every place the name under the cursor stands for the same definition (found in
    `names`: by default the document's files and the specs that use them)."""
    names = names if names is not None else doc.all_names()
    target = _target(doc, names, line, col)
    if target is None:
        return []
    if isinstance(target, Binding):
        return [o.span for o in names.of(target) if declaration or o.role != "def"]
    calls = [c.name_span for c in names.calls if c.name == target.name]
    return [target.name_span, *calls] if declaration else calls


def highlights(doc: Analysis, line: int, col: int) -> list[tuple[Span, bool]]:
    """The references in this document, each marked whether it is where the name is
    given; from the document's own files only, cheap enough for every cursor move."""
    names = doc.names()
    target = _target(doc, names, line, col)
    if target is None:
        return []
    given = target.span if isinstance(target, Binding) else target.name_span
    found = references(doc, line, col, names=names)
    return [(span, span == given) for span in found if span.file == doc.name]


def prepare_rename(doc: Analysis, line: int, col: int) -> Span | None:
    """The name under the cursor, where it can be renamed."""
    if _target(doc, doc.all_names(), line, col) is None:
        return None
    for span in references(doc, line, col):
        if span.file == doc.name and touches(span, line, col):
            return span
    return None


def rename(doc: Analysis, line: int, col: int, new: str) -> list[Span]:
    """The spans to replace by `new`; raises RenameRefused saying why it cannot be."""
    target = _target(doc, doc.all_names(), line, col)
    if target is None:
        raise RenameRefused("no named value or block here")
    if target.name == new:
        return []
    if WORD.fullmatch(new) is None or new == "_":
        raise RenameRefused(f"`{new}` is not a name: a letter or `_`, then letters, digits, `_`")
    if new in set(KEYWORDS.values()):
        raise RenameRefused(f"`{new}` is a keyword")
    if new in OPS:
        raise RenameRefused(f"`{new}` is an op")
    if doc.block(new) is not None:
        raise RenameRefused(f"`{new}` is a block")
    if isinstance(target, Binding):
        taken = _taken(doc, target.owner, new)
        where = f"{'block' if isinstance(target.owner, ast.BlockDef) else 'model'}"
        where += f" `{target.owner.name}`"
    else:
        names = doc.all_names()
        spans = [o.span for o in names.occurrences] + [c.name_span for c in names.calls]
        words = [o.name for o in names.occurrences] + [c.name for c in names.calls]
        taken = next((span for span, word in zip(spans, words, strict=True) if word == new), None)
        where = "these files"
    if taken is not None:
        raise RenameRefused(f"`{new}` is already a name in {where} (line {taken.line})")
    return references(doc, line, col)


def _taken(doc: Analysis, owner: Owner, new: str) -> Span | None:
    """Where a model or block already gives, reads or labels with the name `new`."""
    for occ in doc.all_names().occurrences:
        if occ.owner is owner and occ.role != "keyword" and occ.name == new:
            return occ.span
    for node in walk_ast(owner.body):
        if isinstance(node, ast.Chain) and node.label == new and node.label_span is not None:
            return node.label_span
    return None
