"""Lark's LALR tables driven by one loop: lexing, the newline rules and parsing fused.

Lark stays the grammar's home: the terminals' regular expression, the keyword
table, the parse table and the callbacks that build the AST are all taken from
the `Lark` object built from grammar.lark. What this module replaces is lark's
driver, which passes every token through a lexer generator, the post-lexer's
generator and `feed_token`, each a Python call per token, and builds a `Token`
even for the punctuation the tree builder drops. Here one loop matches the
next token, applies the post-lexer's newline rules (postlex.py) and runs the
shift/reduce steps inline; a dropped token (`_COMMA`, `_ARROW`, `_NL`, ...) is
a None on the value stack, which the tree builder's positional filters skip.

It accepts exactly the well-formed inputs: on anything else (a character no
terminal matches, a token the table refuses, a bracket out of place, a limit
reached) it gives up and returns None, and the caller parses the text again
with lark's own driver and the post-lexer, which word the diagnostic. So the
two paths can differ only in speed; a test compares their ASTs on every spec
and on generated ones.
"""

from __future__ import annotations

import re
from typing import Any

from lark import Lark, Token
from lark.grammar import Rule
from lark.parse_tree_builder import ExpandSingleChild
from lark.parsers.lalr_analysis import Shift

from archdsl.syntax.limits import MAX_BRACKET_DEPTH, MAX_INT_BITS, MAX_STATEMENT_NESTING
from archdsl.syntax.postlex import (
    CLOSERS,
    CONTINUES_AFTER,
    CONTINUES_BEFORE,
    NESTING,
    NUMBERS,
    OPENERS,
    TOP_LEVEL,
    number_too_large,
)

# A number of fewer digits than 2**MAX_INT_BITS has is within the limit.
_SAFE_DIGITS = len(str(2**MAX_INT_BITS)) - 1


class FastParser:
    """Parses well-formed text with the tables and callbacks of `lark`."""

    def __init__(self, lark: Lark) -> None:
        frontend: Any = lark.parser
        lexer = frontend.lexer.lexer  # lark's basic lexer, behind the post-lexer
        scanner = lexer.scanner
        if len(scanner._mres) != 1:  # lark splits beyond 100 terminals; we have fewer
            raise ValueError("the grammar's terminals do not fit one regular expression")
        # Blanks are skipped by the match of the token after them, not matched
        # as a token of their own (lark's ignored terminal still matches blanks
        # at the end of the text).
        regex = scanner._mres[0]
        self._match = re.compile(f"[ \\t\\f]*(?:{regex.pattern})", regex.flags).match
        # Keywords are NAMEs that lark's lexer retypes when the whole text is one.
        self._keywords: dict[str, str] = {}
        for name, callback in lexer.callback.items():
            if name != "NAME":
                raise ValueError(f"unexpected lexer callback for {name}")
            for term in callback.scanner.terminals:
                if term.pattern.type != "str":
                    raise ValueError(f"keyword {term.name} is not a plain string")
                self._keywords[term.pattern.value] = term.name
        self._ignore = frozenset(lexer.ignore_types)
        self._newlines = frozenset(lexer.newline_types)
        parser = frontend.parser.parser
        table = parser.parse_table
        (self._start,) = table.start_states.values()
        (self._end,) = table.end_states.values()
        callbacks: dict[Any, Any] = parser.callbacks
        if any(isinstance(key, str) for key in callbacks):
            raise ValueError("token callbacks are not supported")
        # Lark's table, with each reduction's rule replaced by what reducing
        # needs (its length, its callback, the name of the symbol it makes):
        # hashing a lark rule is a Python call, and there are ~10 per line.
        # A `?rule` of one symbol hands that child up as it is: no callback.
        reductions = {
            rule: (
                len(rule.expansion),
                None if _passes_through(rule, callback) else callback,
                rule.origin.name,
            )
            for rule, callback in callbacks.items()
        }
        self._states: dict[int, dict[str, tuple[bool, Any]]] = {
            state: {
                symbol: (True, arg) if action is Shift else (False, reductions[arg])
                for symbol, (action, arg) in actions.items()
            }
            for state, actions in table.states.items()
        }

    def parse(self, text: str) -> Any | None:
        """The AST the callbacks build, or None where lark's driver must answer."""
        match, keywords, states = self._match, self._keywords, self._states
        ignore, newlines = self._ignore, self._newlines
        state_stack = [self._start]
        values: list[Any] = []
        brackets: list[str] = []  # the types of the open brackets
        line, line_start, pos, end = 1, 0, 0, len(text)
        prev = "_NL"  # the start of the file behaves like a fresh line
        nl_pending = False  # a newline that ends a statement if the next token allows
        nesting = 0
        new_token = str.__new__

        def feed(kind: str, value: Any) -> bool:
            """Shift one token after the reductions it calls for; False if refused."""
            while True:
                action = states[state_stack[-1]].get(kind)
                if action is None:
                    return False
                shift, arg = action
                if shift:
                    state_stack.append(arg)
                    values.append(value)
                    return True
                size, callback, origin = arg
                if callback is None:  # a unit rule: the value stays, the state moves
                    del state_stack[-1]
                    state_stack.append(states[state_stack[-1]][origin][1])
                    continue
                if size:
                    children = values[-size:]
                    del state_stack[-size:]
                    del values[-size:]
                else:
                    children = []
                values.append(callback(children))
                state_stack.append(states[state_stack[-1]][origin][1])

        while pos < end:
            m = match(text, pos)
            if m is None:
                return None
            kind = m.lastgroup
            assert kind is not None
            start, pos = m.start(kind), m.end()
            if kind in newlines:  # may hold a newline: keep count of lines
                word = text[start:pos]
                count = word.count("\n")
                if count:
                    line += count
                    line_start = start + word.rindex("\n") + 1
                if kind == "_NL":
                    # A statement ends here only where one can end (postlex.py).
                    if prev not in CONTINUES_AFTER and (not brackets or brackets[-1] == "LBRACE"):
                        nl_pending = True
                    continue
            if kind in ignore:
                continue
            if kind == "NAME":
                kind = keywords.get(text[start:pos], "NAME")
            if nl_pending:
                if kind not in CONTINUES_BEFORE:
                    if not feed("_NL", None):
                        return None
                    prev = "_NL"
                    nesting = 0
                nl_pending = False
            if kind in OPENERS:
                brackets.append(kind)
                if len(brackets) > MAX_BRACKET_DEPTH:
                    return None
                if kind == "LBRACE":
                    nesting = 0
            elif kind in CLOSERS:
                if not brackets or brackets.pop() != CLOSERS[kind]:
                    return None
                if kind == "RBRACE":
                    nesting = 0
            elif kind in NUMBERS:
                long = kind == "FLOAT" or pos - start > _SAFE_DIGITS
                if long and number_too_large(text[start:pos], kind):
                    return None
            elif kind in NESTING:
                nesting += 1
                if nesting > MAX_STATEMENT_NESTING:
                    return None
            elif kind in TOP_LEVEL and brackets:
                return None
            if kind[0] == "_":  # dropped by the tree builder: no token needed
                value = None
            else:
                word = text[start:pos]
                value = new_token(Token, word)
                value.type, value.value, value.start_pos = kind, word, start
                value.line, value.column = line, start - line_start + 1
                value.end_line, value.end_column, value.end_pos = line, pos - line_start + 1, pos
            if not feed(kind, value):
                return None
            prev = kind
        if brackets:
            return None
        # The end of input: reduce until the start rule is complete.
        while True:
            action = states[state_stack[-1]].get("$END")
            if action is None or action[0]:
                return None
            size, callback, origin = action[1]
            if callback is None:
                del state_stack[-1]
            elif size:
                children = values[-size:]
                del state_stack[-size:]
                del values[-size:]
                values.append(callback(children))
            else:
                values.append(callback([]))
            state_stack.append(states[state_stack[-1]][origin][1])
            if state_stack[-1] == self._end:
                return values[-1]


def _passes_through(rule: Rule, callback: Any) -> bool:
    """Whether reducing `rule` gives its one child unchanged: lark wraps a `?rule`'s
    builder in ExpandSingleChild, with no filter around it when the child is kept."""
    return len(rule.expansion) == 1 and isinstance(callback, ExpandSingleChild)
