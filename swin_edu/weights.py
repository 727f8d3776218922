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

Buffers (``relative_position_index``, ``attn_mask``) are rebuilt by the model, so they are dropped. Checkpoints
saved through ``DistributedDataParallel`` (``module.``) or ``torch.compile`` (``_orig_mod.``) lose those prefixes.
Like the official fine-tuning loader (``utils.load_pretrained``) and timm, :func:`load_pretrained` resizes the
relative position bias tables bicubically when the window differs (224 / M = 7 weights into a 384 / M = 12 model).
"""

from __future__ import annotations

import os
import pickle
import re
from collections.abc import Mapping

import torch
from torch import nn

from swin_edu.position import resize_bias_table

SOURCES = ("official", "timm", "torchvision")
_BUFFERS = ("relative_position_index", "attn_mask")
_WRAPPER_PREFIXES = ("module.", "_orig_mod.")  # DistributedDataParallel, torch.compile
_SWIN_V2_KEYS = ("cpb_mlp", "logit_scale", "relative_coords_table")
HEAD_KEYS = ("head.weight", "head.bias")


def strip_wrapper_prefix(key: str) -> str:
    """``module._orig_mod.layers.0...`` -> ``layers.0...``: the names a DDP or compiled model saved under."""
    stripped = True
    while stripped:
        stripped = False
        for prefix in _WRAPPER_PREFIXES:
            if key.startswith(prefix):
                key, stripped = key[len(prefix) :], True
    return key


def unwrap_state_dict(checkpoint: Mapping) -> dict[str, torch.Tensor]:
    """The state dict inside a checkpoint (``{"model": ...}`` or ``{"state_dict": ...}``), wrapper prefixes stripped.

    Raises:
        ValueError: ``checkpoint`` is not a mapping, or holds no tensors where the weights should be.
    """
    if not isinstance(checkpoint, Mapping):
        raise ValueError(
            "expected a state dict (names -> tensors) or a checkpoint holding one under 'model' or 'state_dict', "
            f"got {type(checkpoint).__name__}"
        )
    for key in ("model", "state_dict"):
        if key in checkpoint and isinstance(checkpoint[key], Mapping):
            checkpoint = checkpoint[key]
    not_weights = [key for key, value in checkpoint.items() if not (isinstance(key, str) and torch.is_tensor(value))]
    if not checkpoint or not_weights:
        found = ", ".join(f"{key!r} ({type(checkpoint[key]).__name__})" for key in list(checkpoint)[:6])
        raise ValueError(
            "expected a state dict (names -> tensors) or a checkpoint holding one under 'model' or 'state_dict'; "
            f"found {len(checkpoint)} entries{': ' + found if found else ''}"
            f"{' ...' if len(checkpoint) > 6 else ''}"
        )
    return {strip_wrapper_prefix(key): value for key, value in checkpoint.items()}


def detect_source(state_dict: Mapping[str, torch.Tensor]) -> str:
    """Tell the layout of a state dict from its keys: "official", "timm" or "torchvision".

    Raises:
        ValueError: naming what the keys look like (a Swin V2 checkpoint, or keys of another model).
    """
    keys = set(state_dict)
    v2_keys = sorted(key for key in keys if any(part in key for part in _SWIN_V2_KEYS))
    if v2_keys:
        raise ValueError(
            f"this is a Swin Transformer V2 checkpoint (keys like {v2_keys[0]!r}): V2 is not supported, "
            "swin_edu builds Swin V1 (Liu et al., ICCV 2021), whose attention has no logit scale and no bias MLP"
        )
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
        f"(official, timm) or 'features.0.0.weight' (torchvision); got {len(keys)} keys like {sorted(keys)[:4]}"
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


def _shape(value: object) -> tuple[int, ...] | str:
    """A tensor's shape, or the type of whatever else stands where a tensor should."""
    return tuple(value.shape) if isinstance(value, torch.Tensor) else f"a {type(value).__name__}, not a tensor"


def check_compatible(model: nn.Module, state_dict: Mapping[str, torch.Tensor], ignore: tuple[str, ...] = ()) -> None:
    """Raise a ValueError naming every missing key, unexpected key and shape that disagrees.

    Args:
        ignore: model keys that the state dict may lack (the head, when it is not loaded).
    """
    expected = {key: value for key, value in model.state_dict().items() if key not in ignore}
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    wrong_shape = [
        f"{key}: checkpoint {_shape(state_dict[key])}, model {tuple(expected[key].shape)}"
        for key in sorted(set(expected) & set(state_dict))
        if _shape(state_dict[key]) != tuple(expected[key].shape)
    ]
    problems = []
    if wrong_shape:
        problems.append("shapes that disagree:\n  " + "\n  ".join(wrong_shape))
    if missing:
        problems.append("missing from the checkpoint:\n  " + "\n  ".join(missing))
    if unexpected:
        problems.append("in the checkpoint but not in the model:\n  " + "\n  ".join(unexpected))
    if wrong_shape and all(line.startswith("head.") for line in wrong_shape) and not missing:
        problems.append(
            "only the classifier differs: to fine-tune to other classes, load everything else with "
            "load_pretrained(model, weights, new_head=True)"
        )
    if problems:
        raise ValueError("the weights do not fit this model (another variant or size?)\n" + "\n".join(problems))


def fit_bias_tables(state_dict: dict[str, torch.Tensor], model: nn.Module) -> dict[str, torch.Tensor]:
    """Resize each ``relative_position_bias_table`` made for another window to the model's window, bicubically.

    As the official ``utils.load_pretrained`` and timm do when fine-tuning at another resolution (224 / M = 7 ->
    384 / M = 12: 13 x 13 -> 23 x 23 offsets per head). Tables with another number of heads are left for
    :func:`check_compatible` to report.
    """
    expected = model.state_dict()
    fitted = dict(state_dict)
    for key, table in state_dict.items():
        target = expected.get(key)
        if not key.endswith("relative_position_bias_table") or target is None or table.ndim != 2:
            continue
        if table.shape[0] != target.shape[0] and table.shape[1] == target.shape[1]:
            window = (round(target.shape[0] ** 0.5) + 1) // 2  # (2M - 1)^2 rows
            fitted[key] = resize_bias_table(table, window)
    return fitted


def load_state_file(path: str | os.PathLike) -> object:
    """Read a checkpoint file safely (``weights_only=True``), with an error that names the file if it is not one.

    Raises:
        FileNotFoundError: nothing at ``path``.
        ValueError: a folder, a truncated file, a file that ``torch.save`` did not write, or one holding Python
            objects other than tensors (which ``weights_only`` refuses to run).
    """
    name = os.fspath(path)
    if not os.path.exists(name):
        raise FileNotFoundError(f"no weights file at {name!r}")
    if os.path.isdir(name):
        raise ValueError(f"cannot read weights from {name!r}: it is a folder, expected a file written by torch.save")
    try:
        return torch.load(name, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        refused = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(error))
        if refused is None:  # not a pickle stream at all: a text file, an image, ...
            raise ValueError(f"cannot read weights from {name!r}: not a file written by torch.save") from error
        raise ValueError(
            f"cannot read weights from {name!r}: besides tensors it holds a {refused.group(1)} object, which "
            "torch.load refuses to run (weights_only=True). If you trust the file: "
            "checkpoint = torch.load(path, weights_only=False), then load_pretrained(model, checkpoint['model'])"
        ) from error
    except Exception as error:  # a truncated or foreign file: zip, pickle and EOF errors of every kind
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise ValueError(
            f"cannot read weights from {name!r}: not a complete file written by torch.save ({reason})"
        ) from error


def load_pretrained(
    model: nn.Module,
    path_or_state_dict: str | os.PathLike | Mapping,
    source: str | None = None,
    new_head: bool = False,
) -> str:
    """Load official, timm or torchvision weights into a swin_edu model, checking every name and shape.

    What it does, in order: read the file safely; unwrap ``{"model": ...}`` / ``{"state_dict": ...}``; strip
    ``module.`` (DistributedDataParallel) and ``_orig_mod.`` (``torch.compile``) prefixes; detect the layout;
    rename to swin_edu's; drop the buffers the model rebuilds (``relative_position_index``, ``attn_mask``);
    resize the relative position bias tables bicubically when the window differs, as the official fine-tuning
    loader does (so 224 / M = 7 weights load into ``swin_t(img_size=384, window_size=12)`` in one call); check;
    load.

    A model built on the meta device (``with torch.device("meta"): model = swin_t()``, nothing allocated) takes
    the checkpoint's tensors as its parameters, on the CPU; buffers that the state dict does not hold are rebuilt.

    Fine-tuning to other classes: ``load_pretrained(model, weights, new_head=True)`` loads everything but the
    classifier (``head.weight``, ``head.bias``); the model keeps its own freshly initialised head, of any size
    (``num_classes=0``, a feature extractor, included).

    Args:
        model: a :class:`swin_edu.SwinTransformer` of the same variant as the weights (any window, any classes
            with ``new_head=True``).
        path_or_state_dict: a file written by ``torch.save`` or a state dict (possibly wrapped in ``"model"``).
        source: the layout, "official", "timm" or "torchvision"; detected from the keys when None.
        new_head: leave the model's head as it is instead of loading the checkpoint's.

    Returns:
        the source that was loaded.

    Raises:
        FileNotFoundError: no file at the path.
        ValueError: the file is not a checkpoint, the layout is unknown (a Swin V2 checkpoint, say), or the
            weights do not fit the model; the message says which names and shapes disagree.
    """
    if isinstance(path_or_state_dict, Mapping):
        checkpoint = path_or_state_dict
    else:
        checkpoint = load_state_file(path_or_state_dict)
    state_dict = unwrap_state_dict(checkpoint)
    source = source or detect_source(state_dict)
    converted = fit_bias_tables(convert_state_dict(state_dict, source), model)
    skipped = HEAD_KEYS if new_head else ()
    converted = {key: value for key, value in converted.items() if key not in skipped}
    check_compatible(model, converted, ignore=skipped)
    on_meta = any(parameter.is_meta for parameter in model.parameters())
    if on_meta and new_head and any(parameter.is_meta for parameter in model.head.parameters()):
        raise ValueError(
            "the model is on the meta device, so it has no head to keep (new_head=True): build it on a real device"
        )
    # a model built on the meta device takes the checkpoint's tensors themselves (assign): copying into it would
    # silently do nothing; strict=False leaves only the head out, as checked above
    model.load_state_dict(converted, strict=not new_head, assign=on_meta)
    return source
