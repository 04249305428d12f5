"""Attention, Swin's window attention and patch merging, embeddings and recurrent layers.

Parameters and buffers are registered as torch's and torchvision's own modules
register theirs, so state_dict shapes and order match theirs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class SelfAttention(nn.MultiheadAttention):
    """nn.MultiheadAttention attending from a sequence [N, T, D] to itself."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        return super().forward(x, x, x, need_weights=False)[0]


class WindowAttention(nn.Module):
    """Self-attention within windows of a map [N, H, W, C], shifted by `shift`.

    As torchvision's ShiftedWindowAttention: the map is padded to whole windows
    and rolled back by the shift, tokens of different regions of the rolled map
    are kept apart by a -100 mask, and a learned bias per head and relative
    position is added to the attention logits.
    """

    relative_position_index: torch.Tensor

    def __init__(self, dim: int, heads: int, window: int, shift: tuple[int, int]):
        super().__init__()
        self.heads = heads
        self.window = window
        self.shift = shift
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        side = 2 * window - 1
        table = torch.zeros(side * side, heads)
        self.relative_position_bias_table = nn.Parameter(table)
        nn.init.trunc_normal_(self.relative_position_bias_table, std=0.02)
        at = torch.arange(window)
        ys, xs = torch.meshgrid(at, at, indexing="ij")
        ys, xs = ys.flatten(), xs.flatten()
        dy = ys[:, None] - ys[None, :] + window - 1
        dx = xs[:, None] - xs[None, :] + window - 1
        self.register_buffer("relative_position_index", (dy * side + dx).flatten())

    def _regions(self, size: int, shift: int, like: torch.Tensor) -> torch.Tensor:
        """Which of the rolled map's regions each position along one axis is in."""
        if shift == 0:
            return like.new_zeros(size)
        at = torch.arange(size, device=like.device)
        return (at >= size - self.window).to(like) + (at >= size - shift).to(like)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, h, w, c = x.shape
        win, heads = self.window, self.heads
        x = F.pad(x, (0, 0, 0, -w % win, 0, -h % win))
        hp, wp = x.shape[1], x.shape[2]
        sh, sw = self.shift
        if sh or sw:
            x = torch.roll(x, (-sh, -sw), (1, 2))
        rows, cols, t = hp // win, wp // win, win * win
        x = x.view(n, rows, win, cols, win, c).transpose(2, 3).reshape(-1, t, c)
        qkv = self.qkv(x).view(-1, t, 3, heads, c // heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attn = (q * (c // heads) ** -0.5) @ k.transpose(-2, -1)
        bias = self.relative_position_bias_table[self.relative_position_index]
        attn = attn + bias.view(t, t, heads).permute(2, 0, 1)
        if sh or sw:
            region = self._regions(hp, sh, x)[:, None] * 3 + self._regions(wp, sw, x)
            region = region.view(rows, win, cols, win).transpose(1, 2).reshape(-1, t)
            mask = (region[:, None, :] != region[:, :, None]).to(x) * -100.0
            attn = attn.view(n, rows * cols, heads, t, t) + mask[None, :, None]
            attn = attn.view(-1, heads, t, t)
        x = (attn.softmax(-1) @ v).transpose(1, 2).reshape(-1, t, c)
        x = self.proj(x).view(n, rows, cols, win, win, c).transpose(2, 3)
        x = x.reshape(n, hp, wp, c)
        if sh or sw:
            x = torch.roll(x, (sh, sw), (1, 2))
        return x[:, :h, :w].contiguous()


class PatchMerging(nn.Module):
    """Swin's downsampling of [N, H, W, C] to [N, H/2, W/2, 2C], as torchvision's."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        # In torchvision's order, which its state_dict keeps: reduction first.
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)
        self.norm = nn.LayerNorm(4 * dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, w = x.shape[1], x.shape[2]
        x = F.pad(x, (0, 0, 0, w % 2, 0, h % 2))
        parts = [x[:, 0::2, 0::2], x[:, 1::2, 0::2], x[:, 0::2, 1::2], x[:, 1::2, 1::2]]
        merged: torch.Tensor = self.reduction(self.norm(torch.cat(parts, -1)))
        return merged


class TokenEmbedding(nn.Embedding):
    """nn.Embedding taking token ids of any number type, as model inputs come."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.long())


class SequenceGRU(nn.GRU):
    """nn.GRU giving its output sequence; the last hidden state is `outputs[1]`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        outputs = super().forward(x)
        return outputs[0]


class SequenceLSTM(nn.LSTM):
    """nn.LSTM giving its output sequence; the last (h, c) state is `outputs[1]`."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # type: ignore[override]
        outputs = super().forward(x)
        return outputs[0]


class StateGRU(nn.GRU):
    """nn.GRU giving its output sequence and its last hidden state h_n, batch first:
    [N, layers * directions, hidden] (torch's h_n is [layers * directions, N, hidden])."""

    def forward(  # type: ignore[override]
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        sequence, h = super().forward(x)
        return sequence, h.transpose(0, 1)


class StateLSTM(nn.LSTM):
    """nn.LSTM giving its output sequence and its last states h_n and c_n, batch first."""

    def forward(  # type: ignore[override]
        self, x: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        sequence, (h, c) = super().forward(x)
        return sequence, h.transpose(0, 1), c.transpose(0, 1)
