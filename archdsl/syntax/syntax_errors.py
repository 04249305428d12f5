"""Words for grammar terminals, so syntax errors speak the user's language."""

from __future__ import annotations

from lark import Token

from archdsl.diagnostics.suggest import closest

KEYWORDS = {
    "_USE": "use", "_BLOCK": "block", "_MODEL": "model", "TRAIN": "train",
    "INPUT": "input", "EXPECT": "expect", "LET": "let", "RESIDUAL": "residual",
    "_PROJECT": "project", "CONCAT": "concat", "ADD": "add", "REPEAT": "repeat",
    "_AS": "as", "IF": "if", "_ELSE": "else", "AND": "and", "OR": "or", "NOT": "not",
    "IN": "in", "TRUE": "true", "FALSE": "false", "OUTPUT": "output", "MUL": "mul",
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
_OPERATORS = {"PLUS", "MINUS", "STAR", "SLASH", "DSLASH", "PERCENT", "POW", "COMPARE"}
_OPERATORS |= {"AND", "OR", "IF"}


def describe_terminal(name: str) -> str:
    if name in KEYWORDS:
        return f"`{KEYWORDS[name]}`"
    if name in PUNCTUATION:
        text = PUNCTUATION[name]
        return text if name == "COMPARE" else f"`{text}`"
    return CLASSES.get(name, name.lower())


# What an unexpected token is called: "unexpected name `relu`".
_TOKEN_WORDS = {"NAME": "name", "INT": "number", "FLOAT": "number", "SIZE": "size"}
_TOKEN_WORDS["STRING"] = "string"


def describe_token(tok: Token) -> str:
    if tok.type in _TOKEN_WORDS:
        return f"{_TOKEN_WORDS[tok.type]} `{tok}`"
    if tok.type == "_NL":
        return "end of line" if "\n" in tok else "`;`"
    return describe_terminal(tok.type)


def describe_expected(expected: set[str]) -> str:
    names = set(expected)
    parts: list[str] = []
    if len(names & _VALUE_STARTS) >= 4:
        names -= _VALUE_STARTS | {"IN", "MINUS", "PLUS", "NOT"}
        parts.append("a value")
    if "NAME" in names and names & {"RESIDUAL", "CONCAT", "ADD", "MUL", "REPEAT", "IF"}:
        names -= {"NAME", "RESIDUAL", "CONCAT", "ADD", "MUL", "REPEAT", "IF", "LBRACE"}
        names -= {"INPUT", "OUTPUT", "EXPECT", "LET"}
        parts.append("a step")
    # An operator may follow any value, so it is worth naming only when nothing else fits.
    if names - _OPERATORS:
        names -= _OPERATORS
    elif names:
        names = set()
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


def syntax_hint(
    tok: Token, expected: set[str], open_bracket: Token | None, before: Token | None = None
) -> str | None:
    """Help for the likely mistake: a misspelt keyword, a keyword used as a name,
    a missing `,`, `->` or `|`, a `->` or label with no step after it, or a bracket
    left open. `before` is the token just before the unexpected one, if known."""
    if before is not None and before.type in _NEEDS_A_STEP:
        return _NEEDS_A_STEP[before.type]
    words = [KEYWORDS[n] for n in expected if n in KEYWORDS]
    if tok.type == "NAME" and words:
        match = closest(str(tok), words)
        if match:
            return f"did you mean `{match}`?"
    if tok.type == "NAME" and expected & _TOP_LEVEL:
        return "a file holds `use`, `block`, `model` and `train` definitions"
    if tok.type in KEYWORDS and "NAME" in expected:
        return f"`{KEYWORDS[tok.type]}` is a keyword and cannot be used as a name"
    if tok.type == "_COMMA" and expected == {"RPAR"} and open_bracket is not None:
        # A `,` where only `)` fits: the `(` groups an expression, so this is a tuple.
        return "parentheses only group an expression; write a size as `3x3`"
    if tok.type in _VALUE_STARTS and "_COMMA" in expected:
        return "separate arguments and list items with `,`"
    if tok.type == "NAME" and "_ARROW" in expected:
        return "join steps with `->`, or put each step on its own line"
    if tok.type == "NAME" and "_NL" in expected:
        return "put each statement on its own line, or separate them with `;`"
    if expected == {"BAR"}:
        return "each branch of `concat`, `add` or `mul` starts with `|`"
    # A token that never stands inside `(...)` or `[...]` means the closer is missing
    # (a `{` block may always end after a statement, so it is never blamed).
    if (
        open_bracket is not None
        and _CLOSERS.get(open_bracket.type) in expected
        and tok.type in _NEVER_BRACKETED
    ):
        where = f"line {open_bracket.line}, column {open_bracket.column}"
        return f"the `{open_bracket}` at {where} is not closed"
    return None


_CLOSERS = {"LPAR": "RPAR", "LSQB": "RSQB"}
# Tokens of steps and statements; values and expressions never contain them.
_NEVER_BRACKETED = {
    "_ARROW", "LBRACE", "BAR", "_COLON", "_USE", "_BLOCK", "_MODEL", "TRAIN", "INPUT",
    "EXPECT", "LET", "RESIDUAL", "_PROJECT", "CONCAT", "ADD", "REPEAT", "_AS", "MUL",
    "OUTPUT",
}  # fmt: skip
_NEEDS_A_STEP = {
    "_ARROW": "`->` must be followed by a step",
    "_COLON": "a label must be followed by the step it names",
}
