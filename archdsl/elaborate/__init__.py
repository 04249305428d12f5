"""AST to IR: evaluate, expand blocks and repeats, infer shapes and counts."""
