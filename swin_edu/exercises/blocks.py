"""Checks for notebook 05: two successive Swin blocks, patch merging and the hierarchy of stages."""

from __future__ import annotations

import torch

from swin_edu.exercises import check_number, report, run_answer
from swin_edu.model import swin_b
from swin_edu.patches import PatchMerging


def check_merge_2x2(merge: object) -> bool:
    """Check ``merge(x)``: ``(B, H, W, C)`` -> ``(B, H/2, W/2, 4C)``, the 2x2 neighbours in the reference order.

    The answer is right when :class:`~swin_edu.patches.PatchMerging`'s own norm and reduction, applied to it,
    give what ``PatchMerging`` gives: then pretrained weights work with it.
    """
    hint = (
        "the four tokens of each 2x2 neighbourhood, concatenated along the channels in the order "
        "(row, col) = (0,0), (1,0), (0,1), (1,1): x1 is the token one row below x0, x2 the one to its right."
    )
    with torch.random.fork_rng():  # leave the notebook's random numbers alone
        torch.manual_seed(0)
        merging = PatchMerging(3)
        x = torch.randn(2, 4, 6, 3)
    result, problem = run_answer(merge, (x,), "merge")
    given = tuple(result.shape) if isinstance(result, torch.Tensor) else result
    if problem is None and given != (2, 2, 3, 12):
        problem = f"merge(x) for x of shape (2, 4, 6, 3) gave {given!r}, expected a tensor of shape (2, 2, 3, 12)."
    if problem is not None:
        return report(False, problem, hint)
    with torch.no_grad():
        expected = merging(x)
        if torch.allclose(merging.reduction(merging.norm(result)), expected, atol=1e-5):
            return report(True)
        x0, x1, x2, x3 = result.chunk(4, dim=-1)
        swapped = torch.cat([x0, x2, x1, x3], dim=-1)
        if torch.allclose(merging.reduction(merging.norm(swapped)), expected, atol=1e-5):
            return report(
                False,
                "the right four tokens, but x1 and x2 are swapped: you concatenated (0,0), (0,1), (1,0), (1,1) "
                "as (row, col), the order of the einops pattern '(p1 p2 c)'.",
                hint,
            )
    return report(False, "the result has the right shape but not the reference order of the four tokens.", hint)


def stage_shapes(model: torch.nn.Module, height: int, width: int) -> list[tuple[int, int, int]]:
    """``(H_i, W_i, C_i)`` of every stage output of ``model`` for an image of ``height x width``.

    The model must live on the meta device: only shapes are computed, nothing is allocated.
    """
    images = torch.zeros(1, model.config.in_chans, height, width, device="meta")
    return [tuple(output.shape[1:]) for output in model.forward_stages(images)]


def check_stage_shapes_swin_b_384(answer: object) -> bool:
    """Check the list of the four stage output shapes ``(H, W, C)`` of Swin-B on a 384 x 384 image."""
    with torch.device("meta"):
        model = swin_b(img_size=384, window_size=12)
    expected = stage_shapes(model, 384, 384)
    hint = "the patch embedding divides the side by 4 and gives C = 128; every merge halves the side and doubles C."
    return check_shape_list(answer, expected, hint, layout="(H, W, C)", level="stage")


def check_shape_list(
    answer: object, expected: list[tuple[int, ...]], hint: str, layout: str, level: str = "stage"
) -> bool:
    """Check a list of shapes, one per stage or pyramid level, saying which one is wrong and how."""
    if answer is None:
        return report(False, "shapes is still None.", hint)
    try:
        given = [tuple(int(n) for n in shape) for shape in answer]
    except (TypeError, ValueError):
        return report(False, f"shapes should be a list of {len(expected)} {layout} tuples.", hint)
    if len(given) != len(expected):
        return report(False, f"there are {len(expected)} {level}s, your list has {len(given)} shapes.", hint)
    for index, (mine, right) in enumerate(zip(given, expected), start=1):
        if mine != right:
            order = " has the right numbers in another order" if sorted(mine) == sorted(right) else " is not right"
            return report(False, f"{level} {index}: {mine}{order}; shapes are {layout}.", hint)
    return report(True)


def check_merging_parameters(answer: object) -> bool:
    """Check the number of learned parameters of the patch merging after stage 1 of Swin-T (C = 96)."""
    expected = sum(parameter.numel() for parameter in PatchMerging(96).parameters())
    hint = "a LayerNorm over 4C channels (a weight and a bias each), then a linear layer 4C -> 2C without bias."
    return check_number(answer, expected, hint, what="the number of parameters")
