"""Loading weights from the official repository, timm and torchvision into swin_edu's (official) layout.

The three implementations hold the same numbers under different names:

=====================================  ==================================  ===========================================
official / swin_edu                    timm                                torchvision
=====================================  ==================================  ===========================================
patch_embed.proj / patch_embed.norm    same                                features.0.0 / features.0.2
layers.i.blocks.j.*                    same                                features.(2i+1).j.*
...mlp.fc1 / ...mlp.fc2                same                                ...mlp.0 / ...mlp.3
layers.i.downsample (end of stage i)   layers.(i+1).downsample (start)     features.(2i+2)
norm / head                            norm / head.fc                      norm / head
=====================================  ==================================  ===========================================

Buffers (``relative_position_index``, ``attn_mask``) are rebuilt by the model, so they are dropped.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

import torch
from torch import nn

SOURCES = ("official", "timm", "torchvision")
_BUFFERS = ("relative_position_index", "attn_mask")


def unwrap_state_dict(checkpoint: Mapping) -> dict[str, torch.Tensor]:
    """Take the state dict out of a training checkpoint (``{"model": ...}`` or ``{"state_dict": ...}``)."""
    for key in ("model", "state_dict"):
        if key in checkpoint and isinstance(checkpoint[key], Mapping):
            checkpoint = checkpoint[key]
    return dict(checkpoint)


def detect_source(state_dict: Mapping[str, torch.Tensor]) -> str:
    """Tell the layout of a state dict from its keys: "official", "timm" or "torchvision"."""
    keys = set(state_dict)
    if any(key.startswith("features.") for key in keys):
        return "torchvision"
    if "head.fc.weight" in keys or (
        not any(key.startswith("layers.0.downsample.") for key in keys)
        and any(key.startswith("layers.1.downsample.") for key in keys)
    ):
        return "timm"
    if "patch_embed.proj.weight" in keys:
        return "official"
    raise ValueError(
        "cannot tell where this state dict comes from: expected keys like 'patch_embed.proj.weight' "
        f"(official, timm) or 'features.0.0.weight' (torchvision); got {sorted(keys)[:5]}..."
    )


def _rename_timm(key: str) -> str:
    # timm merges patches at the start of stage i+1; the official layout at the end of stage i
    key = re.sub(r"^layers\.(\d+)\.downsample", lambda m: f"layers.{int(m.group(1)) - 1}.downsample", key)
    return re.sub(r"^head\.fc\.", "head.", key)


def _rename_torchvision(key: str) -> str:
    stem = {"features.0.0.": "patch_embed.proj.", "features.0.2.": "patch_embed.norm."}
    for old, new in stem.items():
        if key.startswith(old):
            return new + key[len(old) :]
    match = re.match(r"^features\.(\d+)\.(.*)$", key)
    if not match:
        return key  # norm.*, head.*
    index, rest = int(match.group(1)), match.group(2)
    if index % 2 == 1:  # features.(2i+1) = the blocks of stage i
        block, rest = rest.split(".", 1)
        rest = rest.replace("mlp.0.", "mlp.fc1.").replace("mlp.3.", "mlp.fc2.")
        return f"layers.{(index - 1) // 2}.blocks.{block}.{rest}"
    return f"layers.{(index - 2) // 2}.downsample.{rest}"  # features.(2i+2) = patch merging after stage i


def convert_state_dict(state_dict: Mapping[str, torch.Tensor], source: str) -> dict[str, torch.Tensor]:
    """Rename a state dict from ``source`` ("official", "timm", "torchvision") into swin_edu's layout.

    Buffers are dropped; torchvision's flattened ``relative_position_index`` included.
    """
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {source!r}")
    rename = {"official": lambda key: key, "timm": _rename_timm, "torchvision": _rename_torchvision}[source]
    converted = {}
    for key, value in unwrap_state_dict(state_dict).items():
        if key.rsplit(".", 1)[-1] in _BUFFERS:
            continue
        converted[rename(key)] = value
    return converted


def check_compatible(model: nn.Module, state_dict: Mapping[str, torch.Tensor]) -> None:
    """Raise a ValueError naming every missing key, unexpected key and shape that disagrees."""
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    wrong_shape = [
        f"{key}: checkpoint {tuple(state_dict[key].shape)}, model {tuple(expected[key].shape)}"
        for key in sorted(set(expected) & set(state_dict))
        if state_dict[key].shape != expected[key].shape
    ]
    problems = []
    if wrong_shape:
        problems.append("shapes that disagree:\n  " + "\n  ".join(wrong_shape))
    if missing:
        problems.append("missing from the checkpoint:\n  " + "\n  ".join(missing))
    if unexpected:
        problems.append("in the checkpoint but not in the model:\n  " + "\n  ".join(unexpected))
    if problems:
        raise ValueError("the weights do not fit this model (another variant or size?)\n" + "\n".join(problems))


def load_state_file(path: str | os.PathLike) -> dict:
    """Read a checkpoint file safely (``weights_only=True``), with an error that names the file if it is broken."""
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise
    except Exception as error:  # a truncated or foreign file
        raise ValueError(f"cannot read weights from {os.fspath(path)!r}: {error}") from error


def load_pretrained(
    model: nn.Module, path_or_state_dict: str | os.PathLike | Mapping, source: str | None = None
) -> str:
    """Load official, timm or torchvision weights into a swin_edu model, strictly.

    Args:
        model: a :class:`swin_edu.SwinTransformer` of the same variant as the weights.
        path_or_state_dict: a file written by ``torch.save`` or a state dict (possibly wrapped in ``"model"``).
        source: the layout; detected from the keys when None.

    Returns:
        the source that was loaded.
    """
    if isinstance(path_or_state_dict, Mapping):
        checkpoint = path_or_state_dict
    else:
        checkpoint = load_state_file(path_or_state_dict)
    state_dict = unwrap_state_dict(checkpoint)
    source = source or detect_source(state_dict)
    converted = convert_state_dict(state_dict, source)
    check_compatible(model, converted)
    model.load_state_dict(converted, strict=True)
    return source
