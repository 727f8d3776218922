"""Checks for notebook 05: two successive Swin blocks, patch merging and the hierarchy of stages."""

from __future__ import annotations

from functools import cache

import torch

from swin_edu.exercises import check_number, check_shape_list, exercise_check, report, run_answer, tensor_form_problem
from swin_edu.model import swin_b
from swin_edu.patches import PatchMerging


@exercise_check
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
    given = tuple(result.shape) if isinstance(result, torch.Tensor) else f"a {type(result).__name__}"
    if problem is None and given != (2, 2, 3, 12):
        problem = f"merge(x) for x of shape (2, 4, 6, 3) gave {given}, expected a tensor of shape (2, 2, 3, 12)."
    problem = problem or tensor_form_problem(result, (2, 2, 3, 12), "merge(x)")
    if problem is not None:
        return report(False, problem, hint)
    result = result.detach().cpu().float()
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


@cache
def swin_b_384_stage_shapes() -> list[tuple[int, int, int]]:
    """The four stage output shapes ``(H, W, C)`` of Swin-B on a 384 x 384 image (computed once: about a second)."""
    with torch.device("meta"):
        model = swin_b(img_size=384, window_size=12)
    return stage_shapes(model, 384, 384)


@exercise_check
def check_stage_shapes_swin_b_384(answer: object) -> bool:
    """Check the list of the four stage output shapes ``(H, W, C)`` of Swin-B on a 384 x 384 image."""
    expected = swin_b_384_stage_shapes()
    hint = "the patch embedding divides the side by 4 and gives C = 128; every merge halves the side and doubles C."
    return check_shape_list(answer, expected, hint, layout="(H, W, C)", level="stage")


@exercise_check
def check_merging_parameters(answer: object) -> bool:
    """Check the number of learned parameters of the patch merging after stage 1 of Swin-T (C = 96)."""
    expected = sum(parameter.numel() for parameter in PatchMerging(96).parameters())
    hint = "a LayerNorm over 4C channels (a weight and a bias each), then a linear layer 4C -> 2C without bias."
    return check_number(answer, expected, hint, what="the number of parameters")
