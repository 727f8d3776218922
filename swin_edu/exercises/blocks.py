"""Checks for notebook 05: two successive Swin blocks, patch merging and the hierarchy of stages."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import torch

from swin_edu.exercises import check_choice, check_shape_list, exercise_check, report, whole_number
from swin_edu.model import swin_b


def stage_shapes(model: torch.nn.Module, height: int, width: int) -> list[tuple[int, int, int]]:
    """``(H_i, W_i, C_i)`` of every stage output of ``model`` for an image of ``height x width``.

    The model must live on the meta device: only shapes are computed, nothing is allocated.
    """
    images = torch.zeros(1, model.config.in_chans, height, width, device="meta")
    return [tuple(output.shape[1:]) for output in model.forward_stages(images)]


@cache
def swin_b_384_stage_shapes() -> list[tuple[int, int, int]]:
    """The four stage output shapes ``(H, W, C)`` of Swin-B on a 384 x 384 image (computed once: about a second)."""
    with torch.device("meta"):
        model = swin_b(img_size=384, window_size=12)
    return stage_shapes(model, 384, 384)


def as_shape_list(answer: object) -> list[tuple[int, ...]] | None:
    """``answer`` as a list of tuples of whole numbers, or None when it is not one (the caller then says why)."""
    try:
        shapes = [[whole_number(number) for number in shape] for shape in answer]
    except TypeError:  # not a list of sequences
        return None
    if any(problem is not None for shape in shapes for _, problem in shape):
        return None
    return [tuple(number for number, _ in shape) for shape in shapes]


def verdict_on_shapes(
    answer: object,
    expected: list[tuple[int, ...]],
    hint: str | Sequence[str],
    layout: str,
    mistakes: dict[tuple[tuple[int, ...], ...], str],
    level: str = "stage",
    praise: str = "",
) -> bool:
    """:func:`~swin_edu.exercises.check_shape_list`, naming the mistake behind a known wrong list of shapes.

    ``mistakes`` maps a wrong list of shapes (as a tuple of tuples) to the mistake that gives it.
    """
    shapes = as_shape_list(answer)
    if shapes is not None and tuple(shapes) in mistakes:
        return report(False, mistakes[tuple(shapes)], hint)
    if shapes == expected:
        return report(True, praise=praise)
    return check_shape_list(answer, expected, hint, layout=layout, level=level)


def _scaled(sides: Sequence[int], channels: Sequence[int]) -> tuple[tuple[int, int, int], ...]:
    return tuple((side, side, c) for side, c in zip(sides, channels))


@exercise_check
def check_stage_shapes_swin_b_384(answer: object) -> bool:
    """Check the list of the four stage output shapes ``(H, W, C)`` of Swin-B on a 384 x 384 image."""
    expected = swin_b_384_stage_shapes()
    sides, channels = [h for h, _, _ in expected], [c for _, _, c in expected]
    mistakes = {
        _scaled(sides, [96, 192, 384, 768]): (
            "these are Swin-T's channels: Swin-B is wider, C = 128 after the patch embedding (section 3.3 of the "
            "paper)."
        ),
        _scaled([56, 28, 14, 7], channels): "these are the sides at 224 x 224: the image here is 384 x 384.",
        _scaled([side // 4 for side in sides], channels): "a patch of Swin is 4 x 4 pixels, not 16 x 16 as in ViT.",
        _scaled(sides, [channels[0]] * 4): "the channels stay the same in your list: patch merging changes them.",
        _scaled(sides, [channels[0] * 4**i for i in range(4)]): (
            "the channels grow 4 times per stage in your list: 4C is the concatenation of the 2x2 neighbours, "
            "which the linear layer of patch merging then projects to 2C."
        ),
        _scaled(sides, [channels[0] * 2 ** (i + 1) for i in range(4)]): (
            "stage 1 already has doubled channels in your list: stage 1 keeps the C of the patch embedding; the "
            "first patch merging comes after it."
        ),
        _scaled([side // 2 for side in sides], [c * 2 for c in channels]): (
            "your list is one patch merging ahead in every stage: stage 1 works on the output of the patch "
            "embedding; the three mergings come after stages 1, 2 and 3."
        ),
    }
    hint = [
        "start from the patch embedding: how many pixels wide is one patch, and how many channels does Swin-B "
        "give each token (the question says)?",
        "stage 1 has 384 / 4 = 96 tokens a side with C = 128 channels; each patch merging halves the side and "
        "doubles the channels.",
        "(96, 96, 128), then halve the side and double C three times: (48, 48, 256), (24, 24, 512), (12, 12, 1024).",
    ]
    praise = (
        f"{sides[0]} tokens a side and C = {channels[0]} after the patch embedding, then each merging halves the "
        f"side and doubles C: stage 4 is {sides[3]} x {sides[3]}, one window of M = 12."
    )
    return verdict_on_shapes(answer, expected, hint, "(H, W, C)", mistakes, praise=praise)


@exercise_check
def check_swapped_merge(answer: object) -> bool:
    """Why do pretrained weights break when patch merging concatenates x1 and x2 the other way round? A letter."""
    options = {
        "a": (
            "blames the LayerNorm's statistics: a mean and a variance over the 4C channels do not depend on the "
            "order of the channels. What changes is which learned number meets which value."
        ),
        "b": (
            "says the tokens move: stage 1, before any merging, matches exactly (the cell prints 0), and every "
            "merged token stays at its place (h, w); only its 4C channels are reordered."
        ),
        "c": (
            "says the shapes differ: both orders give 4C channels, so the weights fit exactly; that is why "
            "nothing raises an error."
        ),
        "d": "",
    }
    hint = [
        "compare the shapes and the statistics the two orders give: what is the same, and what is not?",
        "the weights do not know which token a channel came from, only its position among the 4C channels.",
        "reduction.weight has shape (2C, 4C): its columns C..2C were trained on the token one row below (x1); the "
        "swap feeds them the token to the right (x2), and the norm's scale and shift go to the wrong channels too.",
    ]
    praise = (
        "the weights are tied to the positions of the 4C channels; the swap feeds each learned column the wrong "
        "neighbour. Nothing raises an error, and a model trained from scratch would learn either order."
    )
    return check_choice(answer, "d", options, hint, praise=praise)


@exercise_check
def check_crossing_without_shift(answer: object) -> bool:
    """Can information cross the windows of stage 1 in a Swin whose blocks never shift? A letter."""
    options = {
        "a": "",
        "b": (
            "says never: look at the patch merging after stage 1. With windows of 7 tokens (odd), the 2x2 group of "
            "columns 6 and 7 takes one token from each side of a window border."
        ),
        "c": (
            "says within stage 1: the cell shows the count stays at 49 through six unshifted blocks; within a "
            "stage the windows never change."
        ),
        "d": (
            "says through the LayerNorm: a LayerNorm normalises each token over its own channels, not over the image."
        ),
    }
    hint = [
        "follow a token out of stage 1: which operations after the blocks of stage 1 combine several tokens?",
        "patch merging concatenates 2x2 groups, and a stage-2 window of 7x7 tokens covers 14x14 tokens of stage 1: "
        "do either of them respect the window borders of stage 1?",
        "columns 6 and 7 of stage 1 lie in different windows but merge into one token; a stage-2 window covers 2x2 "
        "windows of stage 1. So the borders are crossed, but only from stage 2 on: the shift adds crossings in "
        "every other block, within each stage.",
    ]
    praise = (
        "patch merging and the larger windows of later stages join neighbouring windows, so the whole image is "
        "reached by stage 4 even without a shift; the shift lets information cross in every other block, "
        "from stage 1 on, at full resolution. The paper measures what that buys: +1.1 top-1 on ImageNet-1K for "
        "Swin-T (Table 4)."
    )
    return check_choice(answer, "a", options, hint, praise=praise)
