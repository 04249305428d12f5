"""Bounds on what a spec may ask of the checker.

Every stage below the parser recurses over the tree and expands repeats and
blocks; these bounds guarantee that any input, however hostile, is answered
with a diagnostic quickly instead of exhausting the stack, time or memory.
"""

MAX_BRACKET_DEPTH = 32  # nested (), [] and {}
MAX_STATEMENT_NESTING = 64  # operators, `repeat` and `if` in one statement
MAX_BLOCK_DEPTH = 32  # block calls inside block calls
# IR nodes inside one another; the IR's JSON must stay well under the ~200 levels
# that JSON parsers (pydantic's included) accept.
MAX_NODE_DEPTH = 64
MAX_LAYERS = 100_000  # ops in one elaborated model
# Steps elaborated in one model, those that expand to nothing (a false `if`) included.
MAX_STEPS = 2 * MAX_LAYERS
# Steps that expand to no layer, beyond one per layer made: real specs have a few
# (a false `if`, `repeat(0)`); thousands mean a block tree doing work for nothing.
MAX_IDLE_STEPS = 10_000
MAX_INT_BITS = 128  # magnitude of any integer an expression produces
# Recursion the checker allows itself: the bounds above keep it well inside.
RECURSION_LIMIT = 20_000
# Bytes of one spec file, and of a spec with everything it `use`s: a flat spec of
# MAX_LAYERS layers (`conv(4, 3x3, padding=1) -> relu` per line) takes 1.7 MB.
MAX_SOURCE_BYTES = 2 * 2**20
MAX_MODELS = 1_000  # models in one file
