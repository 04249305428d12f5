"""`archdsl lsp` driven by a real client (pygls') over stdio, as an editor drives it."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.lsp.client import LanguageClient

from tests.helpers import ROOT, SPECS

TWO_ERRORS = """model m {
  input [3, 8, 8]
  conv(4, 3x3) -> relu
  flatten -> linear(10, bais=true)
  undefined_block(3)
}
"""
WAIT_S = 30  # a guard against a hang, not a speed target


class Client(LanguageClient):
    def __init__(self) -> None:
        super().__init__("archdsl-test", "1")
        self.published: asyncio.Queue[lsp.PublishDiagnosticsParams] = asyncio.Queue()
        self.stderr = b""

    async def server_exit(self, server: asyncio.subprocess.Process) -> None:
        if server.stderr is not None:
            self.stderr = await server.stderr.read()  # the server's log


@asynccontextmanager
async def session() -> AsyncIterator[Client]:
    client = Client()

    @client.feature(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: lsp.PublishDiagnosticsParams) -> None:
        client.published.put_nowait(params)

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    await client.start_io(sys.executable, "-m", "archdsl", "lsp", cwd=str(ROOT), env=env)
    await client.initialize_async(
        lsp.InitializeParams(capabilities=lsp.ClientCapabilities(), root_uri=ROOT.as_uri())
    )
    client.initialized(lsp.InitializedParams())
    try:
        yield client
    finally:
        await client.shutdown_async(None)
        client.exit(None)
        await client.stop()


def run(test: Callable[[Client], Coroutine[Any, Any, None]]) -> Client:
    """Run `test` in a session; the client, with the server's log, once it has exited."""

    async def main() -> Client:
        async with session() as client:
            await asyncio.wait_for(test(client), WAIT_S)
        return client

    return asyncio.run(main())


def open_doc(client: Client, path: Path, text: str | None = None) -> str:
    uri = path.resolve().as_uri()
    client.text_document_did_open(
        lsp.DidOpenTextDocumentParams(
            text_document=lsp.TextDocumentItem(
                uri=uri, language_id="arch", version=1, text=text or path.read_text()
            )
        )
    )
    return uri


def at(uri: str, line: int, col: int) -> dict[str, Any]:
    """A position as the protocol counts (0-based) from a spec's 1-based line and column."""
    return {
        "text_document": lsp.TextDocumentIdentifier(uri=uri),
        "position": lsp.Position(line=line - 1, character=col - 1),
    }


def span_of(diag: lsp.Diagnostic) -> tuple[int, int, int, int]:
    r = diag.range
    return (r.start.line + 1, r.start.character + 1, r.end.line + 1, r.end.character + 1)


def test_diagnostics_follow_the_text(tmp_path: Path) -> None:
    spec = tmp_path / "two.arch"
    spec.write_text(TWO_ERRORS)

    async def body(client: Client) -> None:
        uri = open_doc(client, spec)
        first = await client.published.get()
        assert first.uri == uri
        assert [(d.code, span_of(d)) for d in first.diagnostics] == [
            ("unknown-name", (4, 25, 4, 29)),
            ("unknown-name", (5, 3, 5, 18)),
        ]
        assert "`linear` has no argument `bais`" in first.diagnostics[0].message
        # Fix the first: one diagnostic is left. The edit is incremental, as editors send it.
        fix = lsp.TextDocumentContentChangePartial(
            range=lsp.Range(
                start=lsp.Position(line=3, character=24), end=lsp.Position(line=3, character=28)
            ),
            text="bias",
        )
        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[fix],
            )
        )
        second = await client.published.get()
        assert [(d.code, span_of(d)) for d in second.diagnostics] == [
            ("unknown-name", (5, 3, 5, 18))
        ]

    run(body)


def test_a_burst_of_typing_is_checked_once(tmp_path: Path) -> None:
    spec = tmp_path / "burst.arch"
    spec.write_text(TWO_ERRORS)

    async def body(client: Client) -> None:
        uri = open_doc(client, spec)
        await client.published.get()
        text = TWO_ERRORS
        for version, word in enumerate(["b", "bi", "bia", "bias"], start=2):
            text = TWO_ERRORS.replace("bais", word)
            client.text_document_did_change(
                lsp.DidChangeTextDocumentParams(
                    text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=version),
                    content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=text)],
                )
            )
        published = await client.published.get()
        assert len(published.diagnostics) == 1  # the last text's, with `bias` fixed
        await asyncio.sleep(0.6)
        assert client.published.empty()

    run(body)


def test_hover_inlay_definition_completion_symbols() -> None:
    spec = SPECS / "resnet50.arch"

    async def body(client: Client) -> None:
        uri = open_doc(client, spec)
        assert not (await client.published.get()).diagnostics

        hover = await client.text_document_hover_async(lsp.HoverParams(**at(uri, 12, 4)))
        assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
        text = hover.contents.value
        assert "[N, 512, 28, 28] → [N, 1024, 14, 14]" in text
        assert "params: 7,098,368" in text and "MACs: 1,464,336,384" in text
        assert "receptive field: 267x267, jump 16x16" in text

        hints = await client.text_document_inlay_hint_async(
            lsp.InlayHintParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri),
                range=lsp.Range(
                    start=lsp.Position(line=0, character=0), end=lsp.Position(line=20, character=0)
                ),
            )
        )
        assert hints is not None
        by_line = {h.position.line + 1: str(h.label).strip() for h in hints}
        assert by_line[12] == "[N, 1024, 14, 14]"
        assert by_line[14] == "[N, 1000]"

        found = await client.text_document_definition_async(lsp.DefinitionParams(**at(uri, 12, 14)))
        assert isinstance(found, lsp.Location)
        assert found.uri == (SPECS / "lib" / "resnet.arch").as_uri()
        assert (found.range.start.line + 1, found.range.start.character + 1) == (41, 7)

        symbols = await client.text_document_document_symbol_async(
            lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
        )
        assert symbols is not None
        [model] = symbols
        assert isinstance(model, lsp.DocumentSymbol)
        assert model.name == "resnet50"
        assert [c.name for c in model.children or []] == [
            "stem", "layer1", "layer2", "layer3", "layer4", "head",
        ]  # fmt: skip

    run(body)


def test_completion_offers_arguments_and_steps(tmp_path: Path) -> None:
    spec = tmp_path / "typing.arch"
    text = 'use "lib.arch"\nmodel m {\n  input [3, 8, 8]\n  conv(\n}\n'
    (tmp_path / "lib.arch").write_text("block pair(width, stride=2) {\n  relu\n}\n")
    spec.write_text(text)

    async def body(client: Client) -> None:
        uri = open_doc(client, spec)
        await client.published.get()
        after_paren = await client.text_document_completion_async(
            lsp.CompletionParams(**at(uri, 4, 8))
        )
        assert isinstance(after_paren, lsp.CompletionList)
        args = {item.label: item.detail for item in after_paren.items}
        assert list(args) == [
            "out_channels", "kernel", "stride", "padding", "dilation", "groups", "bias",
        ]  # fmt: skip
        assert args["stride"] == "conv: default 1"
        assert args["kernel"] == "conv: required"

        line_start = await client.text_document_completion_async(
            lsp.CompletionParams(**at(uri, 4, 3))
        )
        assert isinstance(line_start, lsp.CompletionList)
        kinds = {item.label: item.kind for item in line_start.items}
        assert kinds["conv"] == lsp.CompletionItemKind.Function
        assert kinds["pair"] == lsp.CompletionItemKind.Class  # a block of the `use`d file
        assert kinds["residual"] == lsp.CompletionItemKind.Keyword

    run(body)


def test_definition_across_use_and_formatting(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "blocks.arch").write_text("# a library\nblock twice(w) {\n  relu\n}\n")
    spec = tmp_path / "m.arch"
    spec.write_text('use "lib/blocks.arch"\nmodel m {\ninput [4]\nx:   twice( 3 )\n}\n')

    async def body(client: Client) -> None:
        uri = open_doc(client, spec)
        await client.published.get()
        found = await client.text_document_definition_async(lsp.DefinitionParams(**at(uri, 4, 7)))
        assert isinstance(found, lsp.Location)
        assert found.uri == (tmp_path / "lib" / "blocks.arch").resolve().as_uri()
        assert (found.range.start.line, found.range.start.character) == (1, 6)

        edits = await client.text_document_formatting_async(
            lsp.DocumentFormattingParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri),
                options=lsp.FormattingOptions(tab_size=2, insert_spaces=True),
            )
        )
        assert edits is not None
        [edit] = edits
        assert edit.new_text == 'use "lib/blocks.arch"\nmodel m {\n  input [4]\n  x: twice(3)\n}\n'

    run(body)


def test_errors_in_a_used_file_point_there(tmp_path: Path) -> None:
    """Notes become related locations; an error in a library is shown where it is reached."""
    (tmp_path / "lib.arch").write_text(
        "block bad(w) {\n  conv(w, 9x9)\n}\nblock bad(w) {\n  relu\n}\n"
    )
    spec = tmp_path / "m.arch"
    spec.write_text('use "lib.arch"\nmodel m {\n  input [3, 8, 8]\n  x: bad(4)\n}\n')
    lib_uri = (tmp_path / "lib.arch").resolve().as_uri()

    async def body(client: Client) -> None:
        uri = open_doc(client, spec)
        published = await client.published.get()
        by_code = {d.code: d for d in published.diagnostics}
        assert set(by_code) == {"duplicate", "shape"}
        # The duplicate has no place here but the `use` of its file.
        duplicate = by_code["duplicate"]
        assert span_of(duplicate) == (1, 5, 1, 15)  # the quoted path
        related = [
            (r.location.uri, r.location.range.start.line + 1, r.message)
            for r in duplicate.related_information or []
        ]
        assert related == [
            (lib_uri, 4, "block `bad` is defined twice"),
            (lib_uri, 1, "first defined"),
        ]
        # The shape error inside the block is shown at the call that reached it.
        shape = by_code["shape"]
        assert span_of(shape) == (4, 6, 4, 12)
        assert [
            (r.location.uri, r.location.range.start.line + 1)
            for r in shape.related_information or []
        ] == [(lib_uri, 2), (uri, 4)]

        hover = await client.text_document_hover_async(lsp.HoverParams(**at(uri, 3, 5)))
        assert hover is None  # no IR for a model with errors

    run(body)


def test_hover_on_a_step_inside_a_chain() -> None:
    async def body(client: Client) -> None:
        uri = open_doc(client, SPECS / "resnet50.arch")
        await client.published.get()
        # `flatten` in `head:   avgpool(global) -> flatten -> linear(1000)`
        hover = await client.text_document_hover_async(lsp.HoverParams(**at(uri, 14, 30)))
        assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
        assert "**head.1** `flatten`" in hover.contents.value
        assert "[N, 2048, 1, 1] → [N, 2048]" in hover.contents.value
        assert "params: 0" in hover.contents.value

    run(body)


def test_hover_on_a_parameter_of_a_library_block() -> None:
    """specs/lib/unet.arch borrows specs/unet.arch's IR: `skip` is given four encoder maps."""

    async def body(client: Client) -> None:
        uri = open_doc(client, SPECS / "lib" / "unet.arch")
        await client.published.get()
        hover = await client.text_document_hover_async(lsp.HoverParams(**at(uri, 13, 10)))
        assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
        assert "calls pass `enc4`, `enc3`, `enc2`, `enc1`" in hover.contents.value
        found = await client.text_document_definition_async(lsp.DefinitionParams(**at(uri, 13, 16)))
        assert isinstance(found, lsp.Location)
        assert range_of(found.range) == (12, 3, 12, 12)  # `upsampled = ...`

    run(body)


def test_a_library_borrows_the_ir_of_a_spec_that_uses_it() -> None:
    """In specs/lib/resnet.arch (no model of its own) hover and hints come from
    the first spec of specs/ that uses it: resnet152 and its 50 bottlenecks."""

    async def body(client: Client) -> None:
        uri = open_doc(client, SPECS / "lib" / "resnet.arch")
        assert not (await client.published.get()).diagnostics
        # The 3x3 conv of `bottleneck`.
        hover = await client.text_document_hover_async(lsp.HoverParams(**at(uri, 22, 5)))
        assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
        text = hover.contents.value
        assert "`conv(64, 3x3, padding=1, bias=false)`" in text
        assert "[N, 64, 56, 56] → [N, 64, 56, 56]" in text
        assert "params: 36,864" in text
        assert "one of 50 expansions" in text and "as resnet152.arch uses it" in text
        hints = await client.text_document_inlay_hint_async(
            lsp.InlayHintParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri),
                range=lsp.Range(
                    start=lsp.Position(line=30, character=0), end=lsp.Position(line=33, character=0)
                ),
            )
        )
        assert hints is not None
        assert [(h.position.line + 1, str(h.label).strip()) for h in hints] == [
            (32, "[N, 64, 112, 112]"),
            (33, "[N, 64, 56, 56]"),
        ]

    run(body)


NAMED = """block mix(width, skip) {
  input x
  y = conv(width, 1x1)
  add(y, skip, x)
}
model net {
  input image: [3, 16, 16]
  stem = conv(8, 3x3, padding=1) -> relu
  a, b = chunk(2)
  joined = add(a, b)
  y = stem -> conv(4, 1x1)
  mix(4, skip=joined)
  logits: avgpool(global) -> flatten -> linear(10)
  aux = y -> flatten -> linear(y.channels)
  output logits, aux
}
"""


def range_of(r: lsp.Range) -> tuple[int, int, int, int]:
    """A protocol range as a spec's 1-based (line, column, end line, end column)."""
    return (r.start.line + 1, r.start.character + 1, r.end.line + 1, r.end.character + 1)


def test_definition_and_references_of_named_values(tmp_path: Path) -> None:
    """Each use goes to its own model's or block's definition: `y` in the model is not
    the block's `y`; a block's value argument names the block's parameter."""
    spec = tmp_path / "named.arch"
    spec.write_text(NAMED)

    async def body(client: Client) -> None:
        uri = open_doc(client, spec)
        assert not (await client.published.get()).diagnostics

        async def definition(line: int, col: int) -> tuple[int, int, int, int]:
            found = await client.text_document_definition_async(
                lsp.DefinitionParams(**at(uri, line, col))
            )
            assert isinstance(found, lsp.Location) and found.uri == spec.resolve().as_uri()
            return range_of(found.range)

        assert await definition(14, 9) == (11, 3, 11, 4)  # `y` of `aux = y -> ...`
        assert await definition(14, 32) == (11, 3, 11, 4)  # `y.channels`
        assert await definition(4, 7) == (3, 3, 3, 4)  # the block's own `y`
        assert await definition(4, 10) == (1, 18, 1, 22)  # `skip`: the block's parameter
        assert await definition(4, 16) == (2, 9, 2, 10)  # `x`: the block's `input x`
        assert await definition(12, 15) == (10, 3, 10, 9)  # `skip=joined`
        assert await definition(12, 11) == (1, 18, 1, 22)  # the keyword `skip`
        assert await definition(15, 10) == (13, 3, 13, 9)  # `output logits`: the label
        assert await definition(15, 18) == (14, 3, 14, 6)  # `output ..., aux`

        async def references(line: int, col: int, declaration: bool) -> list[tuple[int, ...]]:
            found = await client.text_document_references_async(
                lsp.ReferenceParams(
                    **at(uri, line, col),
                    context=lsp.ReferenceContext(include_declaration=declaration),
                )
            )
            return sorted(range_of(loc.range) for loc in found or [])

        assert await references(11, 3, True) == [(11, 3, 11, 4), (14, 9, 14, 10), (14, 32, 14, 33)]
        assert await references(11, 3, False) == [(14, 9, 14, 10), (14, 32, 14, 33)]
        assert len(await references(4, 10, True)) == 3  # `skip`: parameter, use, keyword
        assert len(await references(8, 4, True)) == 2  # `stem`: made, read once
        assert len(await references(1, 8, True)) == 2  # block `mix`: definition, one call

        marked = await client.text_document_document_highlight_async(
            lsp.DocumentHighlightParams(**at(uri, 14, 9))
        )
        assert sorted((range_of(h.range), h.kind) for h in marked or []) == [
            ((11, 3, 11, 4), lsp.DocumentHighlightKind.Write),
            ((14, 9, 14, 10), lsp.DocumentHighlightKind.Read),
            ((14, 32, 14, 33), lsp.DocumentHighlightKind.Read),
        ]

    run(body)


def test_rename_named_values_and_blocks(tmp_path: Path) -> None:
    spec = tmp_path / "named.arch"
    spec.write_text(NAMED)

    async def body(client: Client) -> None:
        uri = open_doc(client, spec)
        await client.published.get()

        async def renamed(line: int, col: int, new: str) -> list[tuple[int, ...]]:
            edit = await client.text_document_rename_async(
                lsp.RenameParams(**at(uri, line, col), new_name=new)
            )
            assert edit is not None and edit.changes is not None
            assert list(edit.changes) == [spec.resolve().as_uri()]
            assert {e.new_text for e in edit.changes[spec.resolve().as_uri()]} == {new}
            return sorted(range_of(e.range) for e in edit.changes[spec.resolve().as_uri()])

        prepared = await client.text_document_prepare_rename_async(
            lsp.PrepareRenameParams(**at(uri, 14, 9))
        )
        assert isinstance(prepared, lsp.Range) and range_of(prepared) == (14, 9, 14, 10)
        not_a_name = await client.text_document_prepare_rename_async(
            lsp.PrepareRenameParams(**at(uri, 10, 13))  # the merge `add`
        )
        assert not_a_name is None

        # The model's `y` and its uses; the block's `y` is another value.
        assert await renamed(14, 9, "features") == [
            (11, 3, 11, 4),
            (14, 9, 14, 10),
            (14, 32, 14, 33),
        ]
        # A parameter: its definition, its use, and the keyword of the call.
        assert await renamed(4, 10, "bypass") == [(1, 18, 1, 22), (4, 10, 4, 14), (12, 10, 12, 14)]
        assert await renamed(8, 3, "trunk") == [(8, 3, 8, 7), (11, 7, 11, 11)]
        assert await renamed(12, 4, "merge") == [(1, 7, 1, 10), (12, 3, 12, 6)]

        for new, why in [
            ("stem", "`stem` is already a name in model `net` (line 8)"),
            ("relu", "`relu` is an op"),
            ("output", "`output` is a keyword"),
            ("mix", "`mix` is a block"),
            ("2x", "`2x` is not a name"),
        ]:
            with pytest.raises(JsonRpcException, match=re.escape(why)):
                await client.text_document_rename_async(
                    lsp.RenameParams(**at(uri, 14, 3), new_name=new)
                )

    client = run(body)
    assert b"Traceback" not in client.stderr  # a refusal is the user's mistake, not a crash


def test_hover_and_completion_of_named_values(tmp_path: Path) -> None:
    spec = tmp_path / "named.arch"
    spec.write_text(NAMED)
    typing = NAMED.replace("  output logits, aux\n", "  output \n")

    async def body(client: Client) -> None:
        uri = open_doc(client, spec, typing)
        assert [d.code for d in (await client.published.get()).diagnostics] == ["syntax"]

        hover = await client.text_document_hover_async(lsp.HoverParams(**at(uri, 12, 15)))
        assert hover is None  # no AST for text that does not parse

        items = await client.text_document_completion_async(lsp.CompletionParams(**at(uri, 15, 10)))
        assert isinstance(items, lsp.CompletionList)
        offered = {item.label: (item.kind, item.detail) for item in items.items}
        # After `output `: the model's values, not the block's `x`, no op.
        assert set(offered) == {"image", "stem", "a", "b", "joined", "y", "logits", "aux"}
        assert offered["aux"] == (lsp.CompletionItemKind.Variable, "[N, 4]")
        assert offered["joined"][1] == "[N, 4, 16, 16]"

        client.text_document_did_change(
            lsp.DidChangeTextDocumentParams(
                text_document=lsp.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=NAMED)],
            )
        )
        assert not (await client.published.get()).diagnostics
        hover = await client.text_document_hover_async(lsp.HoverParams(**at(uri, 12, 15)))
        assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
        assert hover.contents.value == (
            "**joined** (value of model `net`) `[N, 4, 16, 16]`\n\n"
            "made at line 10: `joined = add(a, b)`"
        )
        # In the block, the value each call passes for a parameter.
        hover = await client.text_document_hover_async(lsp.HoverParams(**at(uri, 4, 10)))
        assert hover is not None and isinstance(hover.contents, lsp.MarkupContent)
        assert hover.contents.value == (
            "**skip** (parameter of block `mix`) `[N, 4, 16, 16]`\n\n"
            "calls pass `joined`\n\n"
            "defined at line 1: `block mix(width, skip) {`"
        )

        # Mid-model, at the start of a line: the values made above, with ops and blocks.
        items = await client.text_document_completion_async(lsp.CompletionParams(**at(uri, 11, 3)))
        assert isinstance(items, lsp.CompletionList)
        kinds = {item.label: item.kind for item in items.items}
        assert {k for k, v in kinds.items() if v == lsp.CompletionItemKind.Variable} == {
            "image", "stem", "a", "b", "joined",
        }  # fmt: skip
        assert kinds["conv"] == lsp.CompletionItemKind.Function
        assert kinds["mix"] == lsp.CompletionItemKind.Class

        # After a value's name and a dot: what an expression reads of its shape.
        items = await client.text_document_completion_async(lsp.CompletionParams(**at(uri, 14, 34)))
        assert isinstance(items, lsp.CompletionList)
        assert {i.kind for i in items.items} == {lsp.CompletionItemKind.Property}
        assert [i.label for i in items.items] == [
            "channels", "height", "width", "features", "shape",
        ]  # fmt: skip

        symbols = await client.text_document_document_symbol_async(
            lsp.DocumentSymbolParams(text_document=lsp.TextDocumentIdentifier(uri=uri))
        )
        assert symbols is not None
        block, model = symbols
        assert isinstance(block, lsp.DocumentSymbol) and isinstance(model, lsp.DocumentSymbol)
        assert [(c.name, c.kind) for c in block.children or []] == [
            ("x", lsp.SymbolKind.Variable), ("y", lsp.SymbolKind.Variable),
        ]  # fmt: skip
        assert [c.name for c in model.children or []] == [
            "image", "stem", "a", "b", "joined", "y", "logits", "aux",
        ]  # fmt: skip

        hints = await client.text_document_inlay_hint_async(
            lsp.InlayHintParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri),
                range=lsp.Range(
                    start=lsp.Position(line=8, character=0), end=lsp.Position(line=8, character=40)
                ),
            )
        )
        assert hints is not None
        assert [(h.position.line + 1, h.position.character + 1, h.label) for h in hints] == [
            (9, 4, ": [N, 4, 16, 16]"), (9, 7, ": [N, 4, 16, 16]"), (9, 18, "  [N, 4, 16, 16]"),
        ]  # fmt: skip

    run(body)


def test_rename_in_a_library_reaches_the_specs_that_use_it(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    lib = tmp_path / "lib" / "blocks.arch"
    lib.write_text("block twice(w) {\n  conv(w, 1x1) -> relu\n}\n")
    spec = tmp_path / "m.arch"
    spec.write_text('use "lib/blocks.arch"\nmodel m {\n  input [4, 8, 8]\n  x: twice(w=3)\n}\n')
    lib_uri, spec_uri = lib.resolve().as_uri(), spec.resolve().as_uri()

    async def body(client: Client) -> None:
        uri = open_doc(client, lib)
        await client.published.get()

        async def renamed(line: int, col: int, new: str) -> dict[str, list[tuple[int, ...]]]:
            edit = await client.text_document_rename_async(
                lsp.RenameParams(**at(uri, line, col), new_name=new)
            )
            assert edit is not None and edit.changes is not None
            return {
                u: sorted(range_of(e.range) for e in edits) for u, edits in edit.changes.items()
            }

        # The parameter, its use, and the keyword naming it in the spec that uses the library.
        assert await renamed(2, 8, "width") == {
            lib_uri: [(1, 13, 1, 14), (2, 8, 2, 9)],
            spec_uri: [(4, 12, 4, 13)],
        }
        assert await renamed(1, 8, "double") == {
            lib_uri: [(1, 7, 1, 12)],
            spec_uri: [(4, 6, 4, 11)],
        }

    run(body)


def test_inlay_hints_of_named_values(tmp_path: Path) -> None:
    """Each name of `a, b = ...` and a `y = x` (which makes no step) get their shape."""
    spec = tmp_path / "hints.arch"
    spec.write_text(
        "model m {\n  input image: [3, 8, 8]\n  x = conv(4, 1x1)\n  y = x\n"
        "  a, b = chunk(2)\n  concat(a, b, y)\n}\n"
    )

    async def body(client: Client) -> None:
        uri = open_doc(client, spec)
        assert not (await client.published.get()).diagnostics
        hints = await client.text_document_inlay_hint_async(
            lsp.InlayHintParams(
                text_document=lsp.TextDocumentIdentifier(uri=uri),
                range=lsp.Range(
                    start=lsp.Position(line=0, character=0), end=lsp.Position(line=7, character=0)
                ),
            )
        )
        assert [(h.position.line + 1, h.position.character + 1, h.label) for h in hints or []] == [
            (3, 19, "  [N, 4, 8, 8]"),
            (4, 4, ": [N, 4, 8, 8]"),
            (5, 4, ": [N, 2, 8, 8]"),
            (5, 7, ": [N, 2, 8, 8]"),
            (5, 18, "  [N, 2, 8, 8]"),
            (6, 18, "  [N, 8, 8, 8]"),
        ]

    run(body)
