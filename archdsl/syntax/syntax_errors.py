"""Words for grammar terminals, so syntax errors speak the user's language."""

from __future__ import annotations

from lark import Token

from archdsl.diagnostics.suggest import closest

KEYWORDS = {
    "_USE": "use", "_BLOCK": "block", "_MODEL": "model", "TRAIN": "train",
    "INPUT": "input", "EXPECT": "expect", "LET": "let", "RESIDUAL": "residual",
    "_PROJECT": "project", "CONCAT": "concat", "ADD": "add", "REPEAT": "repeat",
    "_AS": "as", "IF": "if", "_ELSE": "else", "AND": "and", "OR": "or", "NOT": "not",
    "IN": "in", "TRUE": "true", "FALSE": "false",
}  # fmt: skip

PUNCTUATION = {
    "_ARROW": "->", "COMPARE": "a comparison", "POW": "**", "DSLASH": "//", "STAR": "*",
    "SLASH": "/", "PERCENT": "%", "PLUS": "+", "MINUS": "-", "_EQUAL": "=", "_COLON": ":",
    "_COMMA": ",", "_DOT": ".", "BAR": "|", "LPAR": "(", "RPAR": ")", "LSQB": "[",
    "RSQB": "]", "LBRACE": "{", "RBRACE": "}",
}  # fmt: skip

CLASSES = {
    "NAME": "a name",
    "INT": "a number",
    "FLOAT": "a number",
    "SIZE": "a size like 3x3",
    "STRING": "a string",
    "_NL": "a new line",
    "$END": "the end of the file",
}

# Tokens that can begin a value; when most of them are expected, say "a value".
_VALUE_STARTS = {"INT", "FLOAT", "SIZE", "STRING", "NAME", "TRUE", "FALSE", "LSQB", "LPAR"}
_TOP_LEVEL = {"_USE", "_BLOCK", "_MODEL", "TRAIN"}


def describe_terminal(name: str) -> str:
    if name in KEYWORDS:
        return f"`{KEYWORDS[name]}`"
    if name in PUNCTUATION:
        text = PUNCTUATION[name]
        return text if name == "COMPARE" else f"`{text}`"
    return CLASSES.get(name, name.lower())


def describe_token(tok: Token) -> str:
    if tok.type in CLASSES and tok.type not in ("_NL", "$END"):
        return f"{CLASSES[tok.type]} `{tok}`"
    return describe_terminal(tok.type)


def describe_expected(expected: set[str]) -> str:
    names = set(expected)
    parts: list[str] = []
    if len(names & _VALUE_STARTS) >= 4:
        names -= _VALUE_STARTS | {"IN", "MINUS", "PLUS", "NOT"}
        parts.append("a value")
    if "NAME" in names and names & {"RESIDUAL", "CONCAT", "ADD", "REPEAT", "IF"}:
        names -= {"NAME", "RESIDUAL", "CONCAT", "ADD", "REPEAT", "IF", "LBRACE"}
        names -= {"INPUT", "EXPECT", "LET"}
        parts.append("a step")
    operators = {"PLUS", "MINUS", "STAR", "SLASH", "DSLASH", "PERCENT", "POW", "COMPARE"}
    operators |= {"AND", "OR", "IF"}
    if len(names & operators) >= 4:
        names -= operators
        parts.append("an operator")
    words = sorted({describe_terminal(n) for n in names})
    parts.extend(words)
    if not parts:
        return ""
    if len(parts) > 6:
        parts = [*parts[:6], "..."]
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " or " + parts[-1]


def keyword_hint(tok: Token, expected: set[str]) -> str | None:
    """Help for a misspelt keyword, or for a keyword used as a name."""
    words = [KEYWORDS[n] for n in expected if n in KEYWORDS]
    if tok.type == "NAME" and words:
        match = closest(str(tok), words)
        if match:
            return f"did you mean `{match}`?"
    if tok.type == "NAME" and expected & _TOP_LEVEL:
        return "a file holds `use`, `block`, `model` and `train` definitions"
    if tok.type in KEYWORDS and "NAME" in expected:
        return f"`{KEYWORDS[tok.type]}` is a keyword and cannot be used as a name"
    if tok.type == "_NL" and "RPAR" in expected:
        return "close the call with `)`"
    return None
