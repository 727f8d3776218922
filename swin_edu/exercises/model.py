"""Checks for notebooks 06 and 07: the whole model, its parameters and feature pyramid; any input size, a new window."""

from __future__ import annotations

from collections.abc import Mapping

import torch

from swin_edu.exercises import check_number, exercise_check, report, run_answer
from swin_edu.exercises.blocks import check_shape_list
from swin_edu.model import SwinTransformer, swin_t
from swin_edu.position import resize_bias_table
from swin_edu.weights import check_compatible


def count_parameters(model: torch.nn.Module) -> int:
    """The number of learned numbers in ``model`` (works on the meta device too)."""
    return sum(parameter.numel() for parameter in model.parameters())


@exercise_check
def check_parameters_10_classes(answer: object) -> bool:
    """Check the parameter count of Swin-T with a 10-class head instead of ImageNet's 1000."""
    with torch.device("meta"):
        expected = count_parameters(swin_t(num_classes=10))
        imagenet = count_parameters(swin_t())
    hint = (
        "only the classifier changes: it maps the 768 pooled features to the classes, with a weight and a bias. "
        f"Start from the {imagenet:,} parameters of Swin-T with 1000 classes."
    )
    return check_number(answer, expected, hint, what="the number of parameters")


@exercise_check
def check_pyramid_shapes_320x480(answer: object) -> bool:
    """Check the four ``(C, H, W)`` shapes of ``swin_t().feature_pyramid`` for one 320 x 480 image."""
    with torch.device("meta"):
        pyramid = swin_t().feature_pyramid(torch.zeros(1, 3, 320, 480))
    expected = [tuple(level.shape[1:]) for level in pyramid]
    hint = "strides 4, 8, 16, 32 and channels 96, 192, 384, 768; the pyramid is channels-first: (C, H, W)."
    return check_shape_list(answer, expected, hint, layout="(C, H, W)", level="level")


@exercise_check
def check_padded_maps_112(answer: object) -> bool:
    """Check ``(side, padded side)`` of the four stage maps of Swin-T (M = 7) for one 112 x 112 image."""
    with torch.device("meta"):
        model = swin_t()
        stages = model.forward_stages(torch.zeros(1, 3, 112, 112))
    window = model.config.window_size
    expected = [(stage.shape[1], stage.shape[1] + (-stage.shape[1] % window)) for stage in stages]
    hint = (
        "the patches give a 28x28 map; each merging halves it, padding an odd side by one first; "
        "then each block pads its map at the bottom and right up to a multiple of M = 7."
    )
    if answer is None:
        return report(False, "sizes is still None.", hint)
    return check_shape_list(answer, expected, hint, layout="(side, padded side)")


@exercise_check
def check_adapt_to_window(adapt: object) -> bool:
    """Check ``adapt(state_dict, new_window_size)``: every bias table resized, everything else unchanged.

    The result must load strictly into a model with the new window size, and its tables must be those of
    :func:`swin_edu.position.resize_bias_table`.
    """
    hint = (
        "copy the state dict; for every key ending in 'relative_position_bias_table', replace the value by "
        "resize_bias_table(value, new_window_size)."
    )
    small = {"embed_dim": 16, "depths": (2, 2), "num_heads": (1, 2), "num_classes": 10}
    with torch.random.fork_rng():  # leave the notebook's random numbers alone
        torch.manual_seed(0)
        state_dict = SwinTransformer(window_size=7, **small).state_dict()
    original = {key: value.clone() for key, value in state_dict.items()}
    adapted, problem = run_answer(adapt, (state_dict, 12), "adapt")
    if problem is None and not isinstance(adapted, Mapping):
        problem = f"adapt should return a state dict (a dict of tensors), got {type(adapted).__name__}."
    if problem is not None:
        return report(False, problem, hint)
    with torch.device("meta"):
        target = SwinTransformer(window_size=12, **small)
    try:
        check_compatible(target, adapted)
    except ValueError as error:
        first_lines = " ".join(str(error).splitlines()[1:3])
        return report(False, f"the result does not fit a model with window 12: {first_lines} ...", hint)
    for key, value in original.items():
        expected = resize_bias_table(value, 12) if key.endswith("relative_position_bias_table") else value
        if not torch.allclose(adapted[key].float(), expected.float(), atol=1e-5):
            return report(False, f"{key} holds other numbers than expected.", hint)
    return report(True)
