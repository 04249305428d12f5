"""Pretrained weights: another library's state_dict placed onto a spec's module.

A spec written in torchvision's layout builds a module whose state_dict lists
the same tensors in the same order with the same shapes, under other names;
`align` pairs them by that order, `source` reads them, `place` builds the
spec's state_dict from them.
"""
