"""Parse-tree callbacks that build the AST while the LALR parser reduces.

Running inside the parser means no intermediate lark tree is built and nothing
here recurses, whatever the input's depth. Each rule keeps the tokens at its
edges (the grammar filters only inner punctuation), so a node's span runs
from its first child to its last.
"""

from __future__ import annotations

from typing import Any

from lark import Token, Transformer

from archdsl.diagnostics import Span
from archdsl.syntax import ast
from archdsl.syntax.precedence import Folder


def _int(text: str) -> int:
    return int(text.replace("_", ""))


def _float(text: str) -> float:
    return float(text.replace("_", ""))


class AstBuilder(Transformer[Token, Any]):
    """Builds `ast` nodes; `file` names the source being parsed."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.file = "<string>"

    # ---- spans ---------------------------------------------------------------
    def _tok(self, tok: Token) -> Span:
        return Span(
            self.file, tok.line or 0, tok.column or 0, tok.end_line or 0, tok.end_column or 0
        )

    def _of(self, item: Any) -> Span:
        if isinstance(item, Token):
            return self._tok(item)
        span: Span = item.span
        return span

    def _span(self, ch: list[Any]) -> Span:
        """From the start of the first child to the end of the last, made at once:
        a spec of 20,000 layers makes 40,000 of these."""
        first, last = ch[0], ch[-1]
        if isinstance(first, Token):
            line, col = first.line or 0, first.column or 0
        else:
            line, col = first.span.line, first.span.col
        if isinstance(last, Token):
            end_line, end_col = last.end_line or 0, last.end_column or 0
        else:
            end_line, end_col = last.span.end_line, last.span.end_col
        return Span(self.file, line, col, end_line, end_col)

    @staticmethod
    def _nodes(ch: list[Any]) -> list[Any]:
        return [c for c in ch if not isinstance(c, Token)]

    # ---- top level -------------------------------------------------------------
    def start(self, items: list[Any]) -> ast.SourceFile:
        src = ast.SourceFile(self.file, [], [], [], [])
        for item in items:
            if isinstance(item, ast.Use):
                src.uses.append(item)
            elif isinstance(item, ast.BlockDef):
                src.blocks.append(item)
            elif isinstance(item, ast.ModelDef):
                src.models.append(item)
            else:
                src.trains.append(item)
        return src

    def use(self, ch: list[Token]) -> ast.Use:
        return ast.Use(ch[0][1:-1], self._tok(ch[0]))

    def block_def(self, ch: list[Any]) -> ast.BlockDef:
        name, *rest = ch
        params = tuple(p for p in rest if isinstance(p, ast.Param))
        return ast.BlockDef(str(name), params, rest[-1], self._span(ch), self._tok(name))

    def param(self, ch: list[Any]) -> ast.Param:
        default = ch[1] if len(ch) > 1 else None
        return ast.Param(str(ch[0]), default, self._span(ch))

    def model_def(self, ch: list[Any]) -> ast.ModelDef:
        return ast.ModelDef(str(ch[0]), ch[1], self._span(ch), self._tok(ch[0]))

    def train_def(self, ch: list[Any]) -> ast.TrainDef:
        named = ch[1].type == "NAME"
        model = str(ch[1]) if named else None
        items = tuple(c for c in ch if isinstance(c, ast.TrainItem))
        return ast.TrainDef(model, items, self._span(ch), self._tok(ch[1]) if named else None)

    def train_item(self, ch: list[Any]) -> ast.TrainItem:
        return ast.TrainItem(str(ch[0]), ch[1], self._span(ch), self._tok(ch[0]))

    # ---- statements ------------------------------------------------------------
    def body(self, ch: list[Any]) -> ast.Body:
        return ast.Body(tuple(ch[1:-1]), self._span(ch))

    def input_stmt(self, ch: list[Any]) -> ast.InputStmt | ast.NamedInput:
        if isinstance(ch[1], ast.Name):  # `input x`: names the value flowing into a block
            return ast.NamedInput(ch[1].id, None, self._span(ch), ch[1].span)
        return ast.InputStmt(ch[1], self._span(ch))

    def named_input(self, ch: list[Any]) -> ast.NamedInput:
        return ast.NamedInput(str(ch[1]), ch[2], self._span(ch), self._tok(ch[1]))

    def assign(self, ch: list[Any]) -> ast.Assign:
        names = ch[:-1]
        spans = tuple(self._tok(n) for n in names)
        return ast.Assign(tuple(str(n) for n in names), spans, ch[-1], self._span(ch))

    def output_stmt(self, ch: list[Any]) -> ast.OutputStmt:
        names = ch[1:]
        spans = tuple(self._tok(n) for n in names)
        return ast.OutputStmt(tuple(str(n) for n in names), spans, self._span(ch))

    def expect_stmt(self, ch: list[Any]) -> ast.ExpectStmt:
        return ast.ExpectStmt(tuple(ch[1:]), self._span(ch))

    def expect_item(self, ch: list[Any]) -> ast.ExpectItem:
        return ast.ExpectItem(str(ch[0]), ch[1], self._span(ch), self._tok(ch[0]))

    def let_stmt(self, ch: list[Any]) -> ast.Let:
        return ast.Let(str(ch[1]), ch[2], self._span(ch), self._tok(ch[1]))

    def labelled(self, ch: list[Any]) -> ast.Chain:
        label, chain = ch
        return ast.Chain(chain.steps, self._span(ch), str(label), self._tok(label))

    def chain(self, ch: list[Any]) -> ast.Chain:
        return ast.Chain(tuple(ch), self._span(ch))

    # ---- steps -----------------------------------------------------------------
    def call(self, ch: list[Any]) -> ast.Call:
        name = ch[0]
        return ast.Call(str(name), self._args(ch[1:]), self._span(ch), self._tok(name))

    def _args(self, ch: list[Any]) -> tuple[ast.Arg, ...]:
        return tuple(
            a if isinstance(a, ast.Arg) else ast.Arg(None, a, a.span) for a in self._nodes(ch)
        )

    def merge_call(self, ch: list[Any]) -> ast.Call:
        return self.call(ch)

    def kwarg(self, ch: list[Any]) -> ast.Arg:
        return ast.Arg(str(ch[0]), ch[1], self._span(ch), self._tok(ch[0]))

    def residual(self, ch: list[Any]) -> ast.Residual:
        bodies = self._nodes(ch)
        project = bodies[1] if len(bodies) > 1 else None
        return ast.Residual(bodies[0], project, self._span(ch), self._tok(ch[0]))

    def parallel(self, ch: list[Any]) -> ast.Parallel:
        kind = ch[0]
        return ast.Parallel(str(kind), tuple(self._nodes(ch)), self._span(ch), self._tok(kind))

    def branch(self, ch: list[Any]) -> ast.Branch:
        return ast.Branch(tuple(ch[1:]), self._span(ch))

    def repeat(self, ch: list[Any]) -> ast.Repeat:
        # REPEAT LPAR count RPAR [NAME] step
        times, step = ch[2], ch[-1]
        var = str(ch[4]) if len(ch) == 6 else None
        return ast.Repeat(times, var, step, self._span(ch), self._tok(ch[0]))

    def if_step(self, ch: list[Any]) -> ast.If:
        orelse = ch[3] if len(ch) > 3 else None
        return ast.If(ch[1], ch[2], orelse, self._span(ch))

    def group(self, ch: list[Any]) -> ast.Group:
        return ast.Group(ch[0], ch[0].span)

    # ---- expressions -----------------------------------------------------------
    def cond_expr(self, ch: list[Any]) -> ast.CondExpr:
        then, _, cond, orelse = ch
        return ast.CondExpr(cond, then, orelse, self._span(ch))

    def operation(self, ch: list[Any]) -> ast.Expr:
        return Folder(ch, self._of).fold()

    def int_lit(self, ch: list[Token]) -> ast.Literal:
        return ast.Literal(_int(ch[0]), self._tok(ch[0]))

    def float_lit(self, ch: list[Token]) -> ast.Literal:
        return ast.Literal(_float(ch[0]), self._tok(ch[0]))

    def size_lit(self, ch: list[Token]) -> ast.Literal:
        return ast.Literal(tuple(_int(side) for side in ch[0].split("x")), self._tok(ch[0]))

    def str_lit(self, ch: list[Token]) -> ast.Literal:
        return ast.Literal(ch[0][1:-1], self._tok(ch[0]))

    def true_lit(self, ch: list[Token]) -> ast.Literal:
        return ast.Literal(True, self._tok(ch[0]))

    def false_lit(self, ch: list[Token]) -> ast.Literal:
        return ast.Literal(False, self._tok(ch[0]))

    def name(self, ch: list[Token]) -> ast.Name:
        return ast.Name(str(ch[0]), self._tok(ch[0]))

    def in_attr(self, ch: list[Token]) -> ast.InAttr:
        return ast.InAttr(str(ch[1]), self._span(ch), self._tok(ch[1]))

    def value_attr(self, ch: list[Token]) -> ast.ValueAttr:
        name, attr = ch
        span = self._span(ch)
        return ast.ValueAttr(str(name), str(attr), span, self._tok(name), self._tok(attr))

    def list_lit(self, ch: list[Any]) -> ast.ListExpr:
        return ast.ListExpr(tuple(self._nodes(ch)), self._span(ch))

    def func_call(self, ch: list[Any]) -> ast.FuncCall:
        name = ch[0]
        return ast.FuncCall(str(name), self._args(ch[1:]), self._span(ch), self._tok(name))

    def paren(self, ch: list[Any]) -> Any:
        return ch[1]
