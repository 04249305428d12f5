"""Checks that need no evaluation: names, argument names, recursion, size bounds.

They run over every block, called or not, so a typo in an unused block of a
library is still reported, once, where it was written.
"""

from __future__ import annotations

from collections.abc import Iterator

from archdsl.diagnostics import Diagnostic, Note, Span
from archdsl.diagnostics.suggest import did_you_mean
from archdsl.ir.reserved import reserved_label
from archdsl.ops import OPS
from archdsl.syntax import ast
from archdsl.syntax.limits import MAX_BLOCK_DEPTH

STEP_TYPES = (ast.Call, ast.Residual, ast.Parallel, ast.Repeat, ast.If, ast.Group)


def walk(stmts: tuple[ast.Stmt, ...]) -> Iterator[ast.Stmt | ast.Step]:
    """Every statement and step in a body, nested ones included, in source order."""
    todo: list[ast.Stmt | ast.Step] = list(reversed(stmts))
    while todo:
        item = todo.pop()
        yield item
        if isinstance(item, ast.Call):  # most items, with nothing inside
            continue
        if isinstance(item, ast.Chain):
            todo.extend(reversed(item.steps))
        elif isinstance(item, ast.Assign):
            todo.append(item.chain)
        elif isinstance(item, ast.Residual):
            if item.project:
                todo.extend(reversed(item.project.stmts))
            todo.extend(reversed(item.body.stmts))
        elif isinstance(item, ast.Parallel):
            for branch in reversed(item.branches):
                todo.extend(reversed(branch.stmts))
        elif isinstance(item, ast.Repeat):
            todo.append(item.body)
        elif isinstance(item, ast.If):
            if isinstance(item.orelse, ast.Body):
                todo.extend(reversed(item.orelse.stmts))
            elif item.orelse is not None:
                todo.append(item.orelse)
            todo.extend(reversed(item.then.stmts))
        elif isinstance(item, ast.Group):
            todo.extend(reversed(item.body.stmts))


def iter_steps(stmts: tuple[ast.Stmt, ...]) -> Iterator[ast.Step]:
    """Every step in a body, nested ones included, in source order."""
    for item in walk(stmts):
        if isinstance(item, STEP_TYPES):
            yield item


def _steps_of(stmts: tuple[ast.Stmt, ...]) -> list[ast.Step]:
    chains = [s.chain if isinstance(s, ast.Assign) else s for s in stmts]
    return [s for chain in chains if isinstance(chain, ast.Chain) for s in chain.steps]


# Other libraries' names for archdsl's ops: a spelling suggestion would point
# at an op that only looks alike (`interpolate` is not `scale`).
MISSING_OPS = {
    **dict.fromkeys(("upsampling", "interpolate"), "archdsl calls it `upsample`"),
    **dict.fromkeys(("convtranspose", "deconv"), "archdsl calls it `conv_transpose`"),
}


class StaticChecker:
    def __init__(self, blocks: dict[str, ast.BlockDef]):
        self.blocks = blocks
        self.recursive: set[str] = set()
        self.too_deep = False
        # A lower bound on the ops each block expands to, filled by check_call_graph.
        self.min_sizes: dict[str, int] = {}
        self.min_block_steps: dict[str, int] = {}
        # Every name a model or block gives a value or passes in as a parameter: a step
        # written as one of these is a value, which elaboration looks up in its scope.
        self.value_names: set[str] = set()
        self._right: set[tuple[str, tuple[str | None, ...]]] = set()  # see _check_call

    # ---- names and arguments ------------------------------------------------
    def check_body(
        self, stmts: tuple[ast.Stmt, ...], params: tuple[str, ...] = ()
    ) -> list[Diagnostic]:
        diags: list[Diagnostic] = []
        names = set(params)
        # One walk gathers the names (reported as met) and the calls and bad labels,
        # which are checked after it: a step may name a value given further down.
        later: list[ast.Call | ast.Chain] = []
        for item in walk(stmts):
            if isinstance(item, ast.Call):
                later.append(item)
            elif isinstance(item, ast.Chain):
                if item.label is not None:
                    names.add(item.label)
                    if item.label and reserved_label(item.label):
                        later.append(item)
            elif isinstance(item, ast.Assign):
                for name, span in zip(item.names, item.name_spans, strict=True):
                    diags += self._given(name, span, names)
            elif isinstance(item, ast.NamedInput):
                diags += self._given(item.name, item.name_span, names)
        self.value_names |= names
        for item in later:
            if isinstance(item, ast.Call):
                if item.name in names and item.name not in OPS and item.name not in self.blocks:
                    continue  # a value's name as a step: elaboration looks it up
                diags += self._check_call(item)
            else:
                diags.append(
                    Diagnostic(
                        "label",
                        f"`{item.label}` cannot be a label: torch modules use that name",
                        item.label_span,
                        help=f"rename it, e.g. `{item.label}_`",
                    )
                )
        return diags

    def _given(self, name: str, span: Span, names: set[str]) -> list[Diagnostic]:
        """Note a name a body gives a value; an error if it is an op's or a block's."""
        names.add(name)
        return self._check_value_name(name, span) if name != "_" else []

    def _check_value_name(self, name: str, span: Span) -> list[Diagnostic]:
        what = "an op" if name in OPS else "a block" if name in self.blocks else None
        if what is None:
            return []
        return [
            Diagnostic(
                "duplicate",
                f"value `{name}` has the name of {what}",
                span,
                help=f"choose another name, e.g. `{name}_out`; `{name}` as a step means {what}",
            )
        ]

    def _check_call(self, call: ast.Call) -> list[Diagnostic]:
        # What is wrong with a call depends on its name and on which of its arguments
        # are named how, never on their values or place: a form found right once is
        # right wherever it is written again (20,000 layers have a few forms).
        form = (call.name, tuple([a.name for a in call.args]))
        if form in self._right:
            return []
        diags = self._call_problems(call)
        if not diags:
            self._right.add(form)
        return diags

    def _call_problems(self, call: ast.Call) -> list[Diagnostic]:
        diags: list[Diagnostic] = []
        if call.name in OPS:
            names = OPS[call.name].arg_names()
            what = f"`{call.name}`"
        elif call.name in self.blocks:
            names = tuple(p.name for p in self.blocks[call.name].params)
            what = f"block `{call.name}`"
        else:
            candidates = [*OPS, *self.blocks]
            help = (
                MISSING_OPS.get(call.name.lower())
                or did_you_mean(call.name, candidates)
                or "define it with `block` or import a library with `use`"
            )
            return [
                Diagnostic(
                    "unknown-name", f"unknown op or block `{call.name}`", call.name_span, help=help
                )
            ]
        seen: set[str] = set()
        positional = [a for a in call.args if a.name is None]
        joins = call.name in OPS and OPS[call.name].takes_values()
        if joins:
            positional = []  # the values a merge joins, checked as it is elaborated
        if len(positional) > len(names):
            extra = positional[len(names)]
            diags.append(
                Diagnostic(
                    "arity",
                    f"{what} takes no arguments"
                    if not names
                    else f"{what} takes at most {len(names)} positional argument"
                    f"{'s' if len(names) != 1 else ''}, got {len(positional)}",
                    extra.span,
                    help=self._signature(call.name),
                )
            )
        misplaced = False
        for i, arg in enumerate(call.args):
            if arg.name is None:
                # One report per call: the first positional argument out of place.
                if not misplaced and any(a.name is not None for a in call.args[:i]):
                    misplaced = True
                    diags.append(
                        Diagnostic(
                            "syntax",
                            "positional argument after a keyword argument",
                            arg.span,
                            help="put positional arguments first",
                        )
                    )
                if i < len(names) and not joins:
                    seen.add(names[i])
                continue
            span = arg.name_span or arg.span
            if arg.name not in names:
                diags.append(
                    Diagnostic(
                        "unknown-name",
                        f"{what} has no argument `{arg.name}`",
                        span,
                        help=did_you_mean(arg.name, names) or self._signature(call.name),
                    )
                )
            elif arg.name in seen:
                diags.append(Diagnostic("arity", f"argument `{arg.name}` given twice", span))
            seen.add(arg.name)
        return diags

    def _signature(self, name: str) -> str:
        if name in OPS:
            return f"usage: {(OPS[name].__doc__ or name).splitlines()[0]}"
        params = ", ".join(p.name for p in self.blocks[name].params)
        return f"usage: {name}({params})"

    def check_block(self, block: ast.BlockDef) -> list[Diagnostic]:
        diags: list[Diagnostic] = []
        if block.name in OPS:
            diags.append(
                Diagnostic(
                    "duplicate",
                    f"block `{block.name}` has the name of an op",
                    block.name_span,
                    help="give the block another name",
                )
            )
        seen: set[str] = set()
        defaulted = False
        for param in block.params:
            if param.name in seen:
                diags.append(Diagnostic("duplicate", f"parameter `{param.name}` twice", param.span))
            seen.add(param.name)
            if param.default is not None:
                defaulted = True
            elif defaulted:
                diags.append(
                    Diagnostic(
                        "syntax",
                        f"parameter `{param.name}` without a default follows one with a default",
                        param.span,
                        help="put parameters with defaults last",
                    )
                )
        return diags + self.check_body(block.body.stmts, tuple(p.name for p in block.params))

    # ---- recursion and depth ---------------------------------------------------
    def check_call_graph(self) -> list[Diagnostic]:
        """Report recursion and over-deep nesting among blocks; size every block.

        Iterative, so a hostile chain of thousands of blocks cannot exhaust the
        stack; blocks are sized in post-order, callees before callers.
        """
        diags: list[Diagnostic] = []
        callees = {
            name: [
                s
                for s in iter_steps(block.body.stmts)
                if isinstance(s, ast.Call) and s.name in self.blocks
            ]
            for name, block in self.blocks.items()
        }
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        depth: dict[str, int] = {}
        for root in self.blocks:
            if root in state:
                continue
            path = [root]
            todo = [iter(callees[root])]
            state[root] = 1
            while todo:
                call = next(todo[-1], None)
                if call is None:
                    name = path.pop()
                    todo.pop()
                    state[name] = 2
                    depth[name] = 1 + max((depth.get(c.name, 0) for c in callees[name]), default=0)
                    body = self.blocks[name].body.stmts
                    recursive = name in self.recursive
                    self.min_sizes[name] = 0 if recursive else self.min_size(body)
                    self.min_block_steps[name] = 0 if recursive else self.min_steps(body)
                    continue
                if state.get(call.name) == 1:
                    cycle = [*path[path.index(call.name) :], call.name]
                    self.recursive.update(cycle)
                    diags.append(self._recursion(call, cycle, path[-1]))
                elif call.name not in state:
                    state[call.name] = 1
                    path.append(call.name)
                    todo.append(iter(callees[call.name]))
        deepest = max(depth, key=lambda n: depth[n], default=None)
        if deepest is not None and depth[deepest] > MAX_BLOCK_DEPTH:
            diags.append(
                Diagnostic(
                    "limit",
                    f"blocks nest {depth[deepest]} deep through `{deepest}`; "
                    f"the limit is {MAX_BLOCK_DEPTH}",
                    self.blocks[deepest].name_span,
                    help="flatten some blocks into their callers",
                )
            )
            self.too_deep = True
        return diags

    def _recursion(self, call: ast.Call, cycle: list[str], caller: str) -> Diagnostic:
        return Diagnostic(
            "recursion",
            f"block `{call.name}` calls itself: {' -> '.join(cycle)}",
            call.name_span,
            notes=tuple(
                Note(f"block `{n}` defined", self.blocks[n].name_span)
                for n in dict.fromkeys(cycle)
                if n != caller
            ),
            help="blocks cannot recurse; use `repeat` to repeat a step",
        )

    # ---- size bounds ----------------------------------------------------------
    def min_size(self, stmts: tuple[ast.Stmt, ...]) -> int:
        """A lower bound on the ops a body expands to, known before evaluating it."""
        total = 0
        for step in _steps_of(stmts):
            total += self.min_step_size(step)
        return total

    def min_step_size(self, step: ast.Step) -> int:
        if isinstance(step, ast.Call):
            if step.name in self.blocks:
                return self.min_sizes.get(step.name, 0)
            return 1
        if isinstance(step, ast.Residual):
            return self.min_size(step.body.stmts)
        if isinstance(step, ast.Parallel):
            total = 0
            for branch in step.branches:
                total += self.min_size(branch.stmts)
            return total
        if isinstance(step, ast.Repeat):
            count = step.times.value if isinstance(step.times, ast.Literal) else 0
            return count * self.min_step_size(step.body) if isinstance(count, int) else 0
        if isinstance(step, ast.If):
            return 0
        return self.min_size(step.body.stmts)

    def min_steps(self, stmts: tuple[ast.Stmt, ...]) -> int:
        """A lower bound on the steps a body takes to expand, each step counted as
        the elaborator counts it, known before evaluating it: blocks that call
        the next twice reach MAX_STEPS long before MAX_LAYERS."""
        return sum(self.min_step_steps(step) for step in _steps_of(stmts))

    def min_step_steps(self, step: ast.Step) -> int:
        inner = 0
        if isinstance(step, ast.Call):
            inner = self.min_block_steps.get(step.name, 0)
        elif isinstance(step, ast.Residual):
            inner = self.min_steps(step.body.stmts)
        elif isinstance(step, ast.Parallel):
            inner = sum(self.min_steps(branch.stmts) for branch in step.branches)
        elif isinstance(step, ast.Repeat):
            count = step.times.value if isinstance(step.times, ast.Literal) else 0
            inner = count * self.min_step_steps(step.body) if isinstance(count, int) else 0
        elif isinstance(step, ast.Group):
            inner = self.min_steps(step.body.stmts)
        return 1 + inner
