"""`archdsl lsp`: the language server. `analysis` answers every question about a
document without pygls; `server` speaks the protocol."""
