"""Lay out Python expressions the way `ruff format` does, so its check passes as written.

An expression stays on one line where it fits in the line length; otherwise
its brackets open, one element per line with a trailing comma, which ruff
then keeps as it is (the "magic trailing comma").
"""

from __future__ import annotations

from dataclasses import dataclass

WIDTH = 88
INDENT = "    "


@dataclass(frozen=True)
class Atom:
    text: str


@dataclass(frozen=True)
class Bracket:
    """`head(a, b)`, `[a, b]` or `(a, b)`: items between brackets after a head."""

    head: str
    items: tuple[Doc, ...]
    open: str = "("
    close: str = ")"


@dataclass(frozen=True)
class Keyword:
    name: str
    value: Doc


@dataclass(frozen=True)
class Starred:
    """`*[item for _ in range(n)]`."""

    item: Doc
    clause: str


@dataclass(frozen=True)
class Ternary:
    """`value if condition else None`."""

    value: Doc
    condition: str


@dataclass(frozen=True)
class Optional:
    """`*([item] if condition else [])`: a step only some calls take."""

    item: Doc
    condition: str


Doc = Atom | Bracket | Keyword | Starred | Ternary | Optional


def flat(doc: Doc) -> str:
    if isinstance(doc, Atom):
        return doc.text
    if isinstance(doc, Keyword):
        return f"{doc.name}={flat(doc.value)}"
    if isinstance(doc, Starred):
        return f"*[{flat(doc.item)} {doc.clause}]"
    if isinstance(doc, Ternary):
        return f"{flat(doc.value)} if {doc.condition} else None"
    if isinstance(doc, Optional):
        return f"*([{flat(doc.item)}] if {doc.condition} else [])"
    inner = ", ".join(flat(i) for i in doc.items)
    if doc.open == "(" and not doc.head and len(doc.items) == 1:
        inner += ","  # a one-element tuple
    return f"{doc.head}{doc.open}{inner}{doc.close}"


def lay(doc: Doc, indent: str, prefix: str = "", suffix: str = "") -> list[str]:
    """Lines for `prefix + doc + suffix`, the first line starting at `indent`."""
    one = f"{indent}{prefix}{flat(doc)}{suffix}"
    if len(one) <= WIDTH or isinstance(doc, Atom):
        return [one]
    inner = indent + INDENT
    if isinstance(doc, Keyword):
        return lay(doc.value, indent, f"{prefix}{doc.name}=", suffix)
    if isinstance(doc, Starred):
        return [
            f"{indent}{prefix}*[",
            *lay(doc.item, inner),
            f"{inner}{doc.clause}",
            f"{indent}]{suffix}",
        ]
    if isinstance(doc, Ternary):
        return [
            *lay(doc.value, indent, prefix),
            f"{indent}if {doc.condition}",
            f"{indent}else None{suffix}",
        ]
    if isinstance(doc, Optional):
        return [
            f"{indent}{prefix}*(",
            *lay(Bracket("", (doc.item,), "[", "]"), inner),
            f"{inner}if {doc.condition}",
            f"{inner}else []",
            f"{indent}){suffix}",
        ]
    lines = [f"{indent}{prefix}{doc.head}{doc.open}"]
    for item in doc.items:
        lines += lay(item, inner, suffix=",")
    lines.append(f"{indent}{doc.close}{suffix}")
    return lines
