"""The Language Server Protocol over stdin and stdout, by pygls.

Diagnostics follow typing (debounced: a change is checked once the typing
pauses); hover, inlay hints, definitions, references, renaming, completion,
symbols and formatting answer from the last analysis of the document's current
text (`analysis`).
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from lsprotocol import types as lsp
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path

from archdsl.diagnostics import Diagnostic, Span
from archdsl.lsp.analysis import (
    Analysis,
    Symbol,
    analyse,
    completions,
    definition,
    hover,
    inlay_hints,
    path_of,
    symbols,
)
from archdsl.lsp.rename import RenameRefused, highlights, prepare_rename, references, rename

DEBOUNCE_S = 0.25
SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning}
COMPLETION_KINDS = {
    "op": lsp.CompletionItemKind.Function,
    "block": lsp.CompletionItemKind.Class,
    "argument": lsp.CompletionItemKind.Property,
    "keyword": lsp.CompletionItemKind.Keyword,
    "value": lsp.CompletionItemKind.Variable,
    "property": lsp.CompletionItemKind.Property,
}
SYMBOL_KINDS = {
    "model": lsp.SymbolKind.Class,
    "block": lsp.SymbolKind.Function,
    "label": lsp.SymbolKind.Field,
    "value": lsp.SymbolKind.Variable,
    "train": lsp.SymbolKind.Module,
}


class ArchServer(LanguageServer):
    def __init__(self) -> None:
        from importlib.metadata import version

        super().__init__("archdsl", version("archdsl"), lsp.TextDocumentSyncKind.Incremental)
        self.analyses: dict[str, tuple[int | None, Analysis]] = {}
        self.latest: dict[str, int | None] = {}

    def analysis(self, uri: str) -> Analysis:
        """The analysis of the document's current text, made now if it is out of date."""
        doc = self.workspace.get_text_document(uri)
        cached = self.analyses.get(uri)
        if cached is not None and cached[0] == doc.version:
            return cached[1]
        path = Path(to_fs_path(uri) or "") if uri.startswith("file:") else None
        result = analyse(doc.source, path)
        self.analyses[uri] = (doc.version, result)
        return result

    def publish(self, uri: str) -> None:
        doc = self.analysis(uri)
        diags = [to_lsp_diagnostic(d, doc) for d in doc.diagnostics]
        self.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=uri, diagnostics=diags)
        )


server = ArchServer()


class Refused(JsonRpcException):
    """A request the user's input makes impossible (a rename to a keyword): an error
    response saying why, and no traceback in the server's log, as for any user mistake."""

    CODE = lsp.LSPErrorCodes.RequestFailed


def _not_refused(record: logging.LogRecord) -> bool:
    return not (record.exc_info and isinstance(record.exc_info[1], Refused))


# ---- conversions --------------------------------------------------------------------------


def to_range(span: Span) -> lsp.Range:
    return lsp.Range(
        start=lsp.Position(line=span.line - 1, character=span.col - 1),
        end=lsp.Position(line=span.end_line - 1, character=span.end_col - 1),
    )


def to_location(span: Span) -> lsp.Location:
    return lsp.Location(uri=path_of(span.file).as_uri(), range=to_range(span))


def to_lsp_diagnostic(diag: Diagnostic, doc: Analysis) -> lsp.Diagnostic:
    """A diagnostic at its place in this document (see `Analysis.place`), its notes and,
    when it lies in another file, its own place as related locations."""
    related = [
        lsp.DiagnosticRelatedInformation(location=to_location(n.span), message=n.message)
        for n in diag.notes
        if n.span is not None
    ]
    if diag.span is not None and diag.span.file != doc.name:
        related.insert(0, lsp.DiagnosticRelatedInformation(to_location(diag.span), diag.message))
    message = diag.message + (f"\nhelp: {diag.help}" if diag.help else "")
    return lsp.Diagnostic(
        range=to_range(doc.place(diag)),
        message=message,
        severity=SEVERITY[diag.severity.value],
        code=diag.code,
        source="archdsl",
        related_information=related or None,
    )


def to_document_symbol(symbol: Symbol) -> lsp.DocumentSymbol:
    return lsp.DocumentSymbol(
        name=symbol.name,
        kind=SYMBOL_KINDS[symbol.kind],
        range=to_range(symbol.span),
        selection_range=to_range(symbol.selection),
        detail=symbol.kind,
        children=[to_document_symbol(child) for child in symbol.children],
    )


# ---- the document's life ------------------------------------------------------------------


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: ArchServer, params: lsp.DidOpenTextDocumentParams) -> None:
    ls.publish(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
async def did_change(ls: ArchServer, params: lsp.DidChangeTextDocumentParams) -> None:
    # Debounce: only the last change of a burst of typing is checked.
    uri, version = params.text_document.uri, params.text_document.version
    ls.latest[uri] = version
    await asyncio.sleep(DEBOUNCE_S)
    if ls.latest.get(uri) == version:
        ls.publish(uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: ArchServer, params: lsp.DidSaveTextDocumentParams) -> None:
    ls.analyses.pop(params.text_document.uri, None)  # the files it `use`s may have changed
    ls.publish(params.text_document.uri)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: ArchServer, params: lsp.DidCloseTextDocumentParams) -> None:
    ls.analyses.pop(params.text_document.uri, None)
    ls.text_document_publish_diagnostics(
        lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[])
    )


# ---- questions ----------------------------------------------------------------------------


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def on_hover(ls: ArchServer, params: lsp.HoverParams) -> lsp.Hover | None:
    pos = params.position
    text = hover(ls.analysis(params.text_document.uri), pos.line + 1, pos.character + 1)
    if text is None:
        return None
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text))


@server.feature(lsp.TEXT_DOCUMENT_INLAY_HINT)
def on_inlay_hint(ls: ArchServer, params: lsp.InlayHintParams) -> list[lsp.InlayHint]:
    first, last = params.range.start.line + 1, params.range.end.line + 1
    return [
        lsp.InlayHint(
            position=lsp.Position(line=line - 1, character=col - 1),
            label=label,
            kind=lsp.InlayHintKind.Type,
        )
        for line, col, label in inlay_hints(ls.analysis(params.text_document.uri))
        if first <= line <= last
    ]


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def on_definition(ls: ArchServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    pos = params.position
    found = definition(ls.analysis(params.text_document.uri), pos.line + 1, pos.character + 1)
    return to_location(found) if found is not None else None


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
def on_references(ls: ArchServer, params: lsp.ReferenceParams) -> list[lsp.Location]:
    pos, uri = params.position, params.text_document.uri
    found = references(
        ls.analysis(uri), pos.line + 1, pos.character + 1, params.context.include_declaration
    )
    return [to_location(span) for span in found]


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_HIGHLIGHT)
def on_highlight(
    ls: ArchServer, params: lsp.DocumentHighlightParams
) -> list[lsp.DocumentHighlight]:
    pos = params.position
    found = highlights(ls.analysis(params.text_document.uri), pos.line + 1, pos.character + 1)
    return [
        lsp.DocumentHighlight(
            range=to_range(span),
            kind=lsp.DocumentHighlightKind.Write if given else lsp.DocumentHighlightKind.Read,
        )
        for span, given in found
    ]


@server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
def on_prepare_rename(ls: ArchServer, params: lsp.PrepareRenameParams) -> lsp.Range | None:
    pos = params.position
    found = prepare_rename(ls.analysis(params.text_document.uri), pos.line + 1, pos.character + 1)
    return to_range(found) if found is not None else None


@server.feature(lsp.TEXT_DOCUMENT_RENAME, lsp.RenameOptions(prepare_provider=True))
def on_rename(ls: ArchServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit:
    pos, uri = params.position, params.text_document.uri
    try:
        spans = rename(ls.analysis(uri), pos.line + 1, pos.character + 1, params.new_name)
    except RenameRefused as refused:
        raise Refused(str(refused)) from None
    changes: dict[str, list[lsp.TextEdit]] = {}
    for span in spans:
        edit = lsp.TextEdit(range=to_range(span), new_text=params.new_name)
        changes.setdefault(to_location(span).uri, []).append(edit)
    return lsp.WorkspaceEdit(changes=changes)


@server.feature(
    lsp.TEXT_DOCUMENT_COMPLETION, lsp.CompletionOptions(trigger_characters=["(", ",", " ", "."])
)
def on_completion(ls: ArchServer, params: lsp.CompletionParams) -> lsp.CompletionList:
    uri, pos = params.text_document.uri, params.position
    text = ls.workspace.get_text_document(uri).source
    items = [
        lsp.CompletionItem(
            label=item.label,
            kind=COMPLETION_KINDS[item.kind],
            detail=item.detail,
            insert_text=item.insert,
        )
        for item in completions(ls.analysis(uri), text, pos.line + 1, pos.character + 1)
    ]
    return lsp.CompletionList(is_incomplete=False, items=items)


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def on_symbols(ls: ArchServer, params: lsp.DocumentSymbolParams) -> list[lsp.DocumentSymbol]:
    return [to_document_symbol(s) for s in symbols(ls.analysis(params.text_document.uri))]


@server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
def on_formatting(ls: ArchServer, params: lsp.DocumentFormattingParams) -> list[lsp.TextEdit]:
    from archdsl.diagnostics import ArchError
    from archdsl.format import format_text

    text = ls.workspace.get_text_document(params.text_document.uri).source
    try:
        formatted = format_text(text)
    except ArchError:
        return []  # the diagnostics already say what to fix first
    if formatted == text:
        return []
    lines = text.split("\n")
    whole = lsp.Range(
        start=lsp.Position(line=0, character=0),
        end=lsp.Position(line=len(lines) - 1, character=len(lines[-1])),
    )
    return [lsp.TextEdit(range=whole, new_text=formatted)]


def serve() -> None:
    logging.getLogger("pygls.protocol.json_rpc").addFilter(_not_refused)
    server.start_io()
