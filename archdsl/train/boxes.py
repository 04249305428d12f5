"""Rectangles in a batch of images, one per image, as boolean masks."""

from __future__ import annotations

import torch


def box_mask(params: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """[N, H, W]: true inside each image's box, given as rows of (top, left, height, width);
    a box runs past the image's edge clipped, and one of height or width 0 is empty."""
    rows = torch.arange(height, device=params.device)
    cols = torch.arange(width, device=params.device)
    top, left, h, w = (params[:, i : i + 1] for i in range(4))
    inside_rows = (rows >= top) & (rows < top + h)  # [N, H]
    inside_cols = (cols >= left) & (cols < left + w)  # [N, W]
    return inside_rows[:, :, None] & inside_cols[:, None, :]
