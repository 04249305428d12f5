"""Names a label cannot take: the module a label names is set as an attribute of its
parent, so a label that is already one of the parent's attributes (`training`,
`_modules`, `__class__`, `state_dict`) would replace it or be refused by torch.

The parents archdsl builds are `nn.Sequential`s (a model, a block, a group, a
repeat); a block's module also has `block`. The list is checked in so that
`archdsl check` need not import torch; tests/test_reserved_labels.py compares it
with the installed torch's, and `archdsl eject` uses it for its attributes too.
"""

from __future__ import annotations

MODULE_ATTRIBUTES = frozenset(
    {
        "T_destination", "__add__", "__annotations__", "__call__", "__class__", "__delattr__",
        "__delitem__", "__dict__", "__dir__", "__doc__", "__eq__", "__format__", "__ge__",
        "__getattr__", "__getattribute__", "__getitem__", "__getstate__", "__gt__", "__hash__",
        "__iadd__", "__imul__", "__init__", "__init_subclass__", "__iter__", "__le__",
        "__len__", "__lt__", "__module__", "__mul__", "__ne__", "__new__", "__reduce__",
        "__reduce_ex__", "__repr__", "__rmul__", "__setattr__", "__setitem__", "__setstate__",
        "__sizeof__", "__str__", "__subclasshook__", "__weakref__", "_apply", "_backward_hooks",
        "_backward_pre_hooks", "_buffers", "_call_impl", "_compiled_call_impl",
        "_forward_hooks", "_forward_hooks_always_called", "_forward_hooks_with_kwargs",
        "_forward_pre_hooks", "_forward_pre_hooks_with_kwargs", "_get_backward_hooks",
        "_get_backward_pre_hooks", "_get_item_by_idx", "_get_name", "_is_full_backward_hook",
        "_load_from_state_dict", "_load_state_dict_post_hooks", "_load_state_dict_pre_hooks",
        "_maybe_warn_non_full_backward_hook", "_modules", "_named_members",
        "_non_persistent_buffers_set", "_parameters", "_register_load_state_dict_pre_hook",
        "_register_state_dict_hook", "_replicate_for_data_parallel", "_save_to_state_dict",
        "_slow_forward", "_state_dict_hooks", "_state_dict_pre_hooks", "_version",
        "_wrapped_call_impl", "add_module", "append", "apply", "bfloat16", "block", "buffers",
        "call_super_init", "children", "compile", "cpu", "cuda", "double", "dump_patches",
        "eval", "extend", "extra_repr", "float", "forward", "get_buffer", "get_extra_state",
        "get_parameter", "get_submodule", "half", "insert", "ipu", "load_state_dict", "modules",
        "mtia", "named_buffers", "named_children", "named_modules", "named_parameters",
        "parameters", "pop", "register_backward_hook", "register_buffer",
        "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
        "register_full_backward_pre_hook", "register_load_state_dict_post_hook",
        "register_load_state_dict_pre_hook", "register_module", "register_parameter",
        "register_state_dict_post_hook", "register_state_dict_pre_hook", "requires_grad_",
        "set_extra_state", "set_submodule", "share_memory", "state_dict", "to", "to_empty",
        "train", "training", "type", "xpu", "zero_grad",
    }
)  # fmt: skip


def reserved_label(name: str) -> bool:
    """Whether a module built from a spec cannot have a child called `name`."""
    return name in MODULE_ATTRIBUTES or (name.startswith("__") and name.endswith("__"))
