"""The op vocabulary: one class per op, grouped by family."""

from archdsl.ops.base import Op, ShapeError
from archdsl.ops.registry import OP_CLASSES, OPS, AnyOp

__all__ = ["OPS", "OP_CLASSES", "AnyOp", "Op", "ShapeError"]
