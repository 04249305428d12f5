"""Text to AST: the grammar, the parser and the syntax diagnostics."""
