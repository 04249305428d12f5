"""Small networks that use every op of tensors beyond [F] and [C, H, W], for the tests.

Their argument values differ from the zoo's on purpose: generated code (eject,
ONNX) must follow the structure, not a coincidence of values. Adaptive pools
to more than one position come before any `upsample` and divide their input:
torch's ONNX exporter cannot write them otherwise.
"""

from __future__ import annotations

# name: (spec, input maker) where the maker is "normal" or "tokens:<vocabulary>".
NEW_OP_SPECS: dict[str, tuple[str, str]] = {
    "signal_1d": (
        """
model signal_1d {
  input [4, 32]
  conv(8, 3, padding=1, bias=false) -> batchnorm -> relu
  maxpool(2) -> adaptive_avgpool(8) -> avgpool(3, stride=1, padding=1)
  conv_transpose(6, 4, stride=2, padding=1, output_padding=1, groups=2)
  upsample(2, mode=linear) -> crop(25) -> channel_shuffle(3)
  layernorm(over=channels) -> flatten -> linear(3)
}
""",
        "normal",
    ),
    "volume_3d": (
        """
model volume_3d {
  input [2, 8, 10, 12]
  conv(4, 3x3x3, padding=1) -> batchnorm -> silu
  maxpool(2x2x2) -> conv(6, 1x3x3, stride=[1, 2, 2], padding=[0, 1, 1])
  conv_transpose(3, 2x3x3, stride=2, padding=[0, 1, 1]) -> upsample(1x2x2) -> crop(7x8x9)
  avgpool(global) -> flatten(0, 1) -> flatten -> linear(5)
}
""",
        "normal",
    ),
    "token_mixer": (
        """
model token_mixer {
  input [3, 16, 20]
  conv(24, 4x4, stride=4) -> tokens -> layernorm(over=last)
  residual { multihead_attention(6, bias=false) }
  residual { layernorm(over=last) -> linear(48) -> gelu -> linear(24) }
  reshape([5, -1, 24]) -> permute([2, 0, 1]) -> flatten(1, 2) -> permute([1, 0])
  select(-2) -> hardswish -> linear(7) -> sigmoid
}
""",
        "normal",
    ),
    "windowed": (
        """
model windowed {
  input [3, 30, 26]
  conv(16, 2x2, stride=2) -> permute([1, 2, 0])
  residual { layernorm(over=last) -> window_attention(2, 4, 2) }
  patch_merging -> window_attention(4, 3, 1) -> window_attention(8, 7, 3)
  mean(0) -> mean(0) -> linear(5)
}
""",
        "normal",
    ),
    "upsampled": (
        """
model upsampled {
  input [3, 8, 8]
  adaptive_maxpool(4x2) -> upsample(size=12x16, mode=bilinear) -> conv(4, 3x3)
  upsample(2x3) -> crop(12) -> layernorm(over=channels) -> flatten -> linear(4)
}
""",
        "normal",
    ),
    "text_rnn": (
        """
model text_rnn {
  input [12]
  embedding(50, 16) -> gru(8, layers=2, bidirectional=true) -> lstm(6, 3)
  mean(-2) -> linear(2)
}
""",
        "tokens:50",
    ),
}
