"""A model's train section plus the command line's flags, as one validated TrainConfig.

The section's values become plain data (calls become dicts tagged by `kind`,
positional arguments get their names), each flag replaces the value at its
dotted key, and pydantic validates the result. Every error points where its
value came from: the spec text, or the flag that set it. No torch here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, NamedTuple

from pydantic import ValidationError

from archdsl.diagnostics import ArchError, Diagnostic, Span
from archdsl.diagnostics.reasons import reason
from archdsl.diagnostics.suggest import did_you_mean
from archdsl.ir import CallValue, ConfigValue, Model, TrainEntry
from archdsl.train.compat import problems
from archdsl.train.config import CALLS, CHOICES, TrainConfig
from archdsl.train.freeze_paths import freeze_problems
from archdsl.train.outputs import output_problems, trained_output
from archdsl.train.task_checks import Loc

SpanOf = Callable[[str], Span]
# The code of the one error that only matters to `archdsl train`: a section may set
# only what the torch backend reads (`init`), to be trained on data given later.
NO_DATA = "no-data"
_EXAMPLE = "e.g. `train { data digits; epochs 20 }`, or `--set data=digits`"


class Override(NamedTuple):
    """A value from the command line: `--lr 0.05` is key `optimizer.lr`."""

    key: str
    value: ConfigValue
    flag: str  # as the user typed it, for messages


class Origins:
    """Where each part of the raw configuration came from: spec text or a flag."""

    def __init__(self) -> None:
        self.spans: dict[Loc, Span] = {}
        self.flags: dict[Loc, str] = {}

    def replace(self, loc: Loc, flag: str) -> None:
        """A flag set the value at `loc`: nothing below it comes from the spec any more."""
        for table in (self.spans, self.flags):
            for key in [k for k in table if k[: len(loc)] == loc]:
                del table[key]
        self.flags[loc] = flag

    def at(self, loc: Loc) -> tuple[Span | None, str | None]:
        """The span or flag of the deepest part of `loc` that has an origin."""
        for end in range(len(loc), -1, -1):
            prefix = loc[:end]
            if prefix in self.flags:
                return None, self.flags[prefix]
            if prefix in self.spans:
                return self.spans[prefix], None
        return None, None


def train_config(model: Model, overrides: list[Override] | tuple[()] = ()) -> TrainConfig:
    """The validated configuration for training `model`; ArchError lists every problem."""
    origins = Origins()
    diags: list[Diagnostic] = []
    raw: dict[str, Any] = {}
    for entry in model.train:
        raw[entry.key] = _plain(
            entry.value, (entry.key,), entry.key, _spans_of(entry), origins, diags
        )
    for override in overrides:
        problem = _assign(raw, override, origins, diags)
        if problem:
            diags.append(Diagnostic("train", f"{problem} (from {override.flag})", None))
    if diags:
        raise ArchError(diags)
    try:
        config = TrainConfig.model_validate(raw)
    except ValidationError as exc:
        raise ArchError(
            [_describe(dict(err), raw, origins, model) for err in exc.errors()]
        ) from None
    found = output_problems(config, model) or problems(
        config, model.name, model.input, trained_output(config, model).shape
    )
    found += freeze_problems(config, model)
    if found:
        located = [_located(p.loc, p.message, p.help, origins) for p in found]
        # A problem of a line the section lacks (no `loss`) points at the model.
        raise ArchError([d if d.span else replace(d, span=model.span) for d in located])
    return config


def _spans_of(entry: TrainEntry) -> SpanOf:
    def span(path: str) -> Span:
        return entry.spans.get(path, entry.span)

    return span


def _plain(
    value: ConfigValue,
    loc: Loc,
    path: str,
    span_of: SpanOf | None,
    origins: Origins,
    diags: list[Diagnostic],
) -> Any:
    """A train-section value as pydantic input, recording where each part came from.

    `loc` names the value by fields (`optimizer.lr`), `path` by how it was
    written (`optimizer.0` for `sgd(0.1)`): spans are kept by the latter.
    """
    if span_of is not None:
        origins.spans[loc] = span_of(path)
    if isinstance(value, list):
        return [
            _plain(v, (*loc, i), f"{path}.{i}", span_of, origins, diags)
            for i, v in enumerate(value)
        ]
    if not isinstance(value, CallValue):
        return value
    cls = CALLS.get(value.name)
    out: dict[str, Any] = {"kind": value.name}
    names = cls.positional if cls is not None else ()
    for i, arg in enumerate(value.args):
        if cls is None:
            break  # the unknown name is reported by validation, with a suggestion
        if i >= len(names):
            diags.append(
                Diagnostic(
                    "argument",
                    f"`{value.name}` takes {_count(len(names))} by position",
                    span_of(f"{path}.{i}") if span_of else None,
                    help=f"usage: {cls.usage(value.name)}",
                )
            )
            continue
        out[names[i]] = _plain(arg, (*loc, names[i]), f"{path}.{i}", span_of, origins, diags)
    for name, arg in value.kwargs.items():
        if name in out:
            diags.append(
                Diagnostic(
                    "duplicate",
                    f"`{value.name}`: `{name}` is given twice",
                    span_of(f"{path}.{name}") if span_of else None,
                )
            )
            continue
        out[name] = _plain(arg, (*loc, name), f"{path}.{name}", span_of, origins, diags)
    return out


def _count(n: int) -> str:
    return "no arguments" if n == 0 else f"{n} argument{'s' if n > 1 else ''}"


def _assign(
    raw: dict[str, Any], override: Override, origins: Origins, diags: list[Diagnostic]
) -> str | None:
    """Put an override's value at its key; a problem's description, or None."""
    parts: list[str | int] = [int(p) if p.isdigit() else p for p in override.key.split(".")]
    if not all(parts):
        return f"`{override.key}` is not a key"
    node: Any = raw
    for depth, part in enumerate(parts[:-1]):
        child = _child(node, part)
        if child is None and depth == 0:
            child = _default(str(part))
        if isinstance(child, str):  # a bare word is a call without arguments
            child = {"kind": child}
        if not isinstance(child, dict | list):
            if parts[: depth + 1] == ["data"]:
                return "no dataset is named to read from there; name one too: `--set data=cifar10`"
            where = ".".join(str(p) for p in parts[: depth + 1])
            return f"there is no `{where}` to set `{parts[depth + 1]}` on"
        _put(node, part, child)
        node = child
    loc = tuple(parts)
    value = _plain(override.value, loc, override.key, None, origins, diags)
    if not _put(node, parts[-1], value):
        return f"`{override.key}` names no item of the list"
    origins.replace(loc, override.flag)
    return None


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and part < len(node):
        return node[part]
    return None


def _put(node: Any, part: str | int, value: Any) -> bool:
    if isinstance(node, dict):
        node[part] = value
        return True
    if isinstance(node, list) and isinstance(part, int) and part < len(node):
        node[part] = value
        return True
    return False


def _default(key: str) -> Any:
    """The default of a top-level key as plain data, so a flag can set a part of it."""
    field = TrainConfig.model_fields.get(key)
    if field is None or field.is_required():
        return None
    value = field.get_default(call_default_factory=True)
    return value.model_dump() if value is not None else None


# ---- pydantic's errors as diagnostics ---------------------------------------------


def _normal(loc: tuple[Any, ...], raw: Any) -> tuple[Loc, Any]:
    """pydantic's location without the union tags it inserts, and the value there."""
    out: list[str | int] = []
    node = raw
    for part in loc:
        tag = node.get("kind") if isinstance(node, dict) else node
        if isinstance(part, str) and part == tag and not (isinstance(node, dict) and part in node):
            continue
        out.append(part)
        node = _child(node, part)
    return tuple(out), node


def _describe(err: dict[str, Any], raw: Any, origins: Origins, model: Model) -> Diagnostic:
    loc, value = _normal(err["loc"], raw)
    kind = err["type"]
    field = loc[-1] if loc else ""
    owner_loc = loc[:-1]
    owner = _normal(owner_loc, raw)[1]
    call = str(owner["kind"]) if isinstance(owner, dict) and "kind" in owner else None
    help: str | None = None
    if kind == "missing" and loc == ("data",):
        return Diagnostic(
            NO_DATA,
            f"model `{model.name}` has no `data` to train on",
            model.span,
            help=f"say what to train on, {_EXAMPLE}",
        )
    if kind == "extra_forbidden" and call is None:
        message = f"unknown train key `{field}`"
        help = did_you_mean(str(field), TrainConfig.model_fields) or "the keys are " + ", ".join(
            TrainConfig.model_fields
        )
        key = _key_span(model, str(field))
        if key is not None and len(loc) == 1:  # the misspelt word, not its value
            return Diagnostic("train", message, key, help=help)
    elif kind == "extra_forbidden" and call in CALLS:
        message = f"`{call}` has no argument `{field}`"
        fields = [f for f in CALLS[call].model_fields if f != "kind"]
        help = did_you_mean(str(field), fields) or f"usage: {CALLS[call].usage(call)}"
    elif kind == "missing":
        message = f"`{call}` needs `{field}`"
        help = f"usage: {CALLS[call].usage(call)}" if call in CALLS else None
        loc = owner_loc
    elif kind in ("union_tag_invalid", "model_attributes_type") or field == "kind":
        if field == "kind":  # a plain call field such as `init`: its tag is a literal
            loc, value = owner_loc, owner
        noun, calls = CHOICES[_choice(loc)]
        if kind != "model_attributes_type":
            tag = str(value["kind"] if isinstance(value, dict) else value)
            message = f"unknown {noun} `{tag}`"
            help = did_you_mean(tag, calls) or f"choose from {', '.join(calls)}"
        else:
            message = f"`{_dotted(loc)}` must be a {noun}, got {_show(value)}"
            help = f"choose from {', '.join(calls)}"
    elif kind == "value_error" and isinstance(value, dict | str):
        name = value.get("kind") if isinstance(value, dict) else value
        message = f"`{name}`: {reason(err)}"
    else:
        subject = f"`{call}`: `{field}`" if call else f"`{_dotted(loc)}`"
        message = f"{subject} {reason(err)}, got {_show(value)}"
    return _located(loc, message, help, origins)


def _key_span(model: Model, key: str) -> Span | None:
    """Where a top-level key of the model's train section is written: each entry's
    span starts with its key."""
    for entry in model.train:
        if entry.key == key:
            start = entry.span
            return Span(start.file, start.line, start.col, start.line, start.col + len(key))
    return None


def _located(loc: Loc, message: str, help: str | None, origins: Origins) -> Diagnostic:
    span, flag = origins.at(loc)
    if flag is not None:
        message = f"{message} (from {flag})"
    return Diagnostic("train", message, span, help=help)


def _choice(loc: Loc) -> str:
    """The field a call was given for: `augment` for ("data", "augment", 0)."""
    names = [p for p in loc if isinstance(p, str)]
    return names[-1] if names else ""


def _dotted(loc: Loc) -> str:
    return ".".join(str(p) for p in loc)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, dict):
        return str(value.get("kind", value))
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value)
