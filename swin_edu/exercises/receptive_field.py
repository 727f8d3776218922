"""Checks for notebook 08: how far a token sees after each block (``swin_edu.receptive_field``)."""

from __future__ import annotations

import torch

from swin_edu.exercises import check_tensor, exercise_check, report, run_answer, whole_number
from swin_edu.model import SwinConfig
from swin_edu.receptive_field import receptive_field, spread_through_merging


def field_size(token: tuple[int, int], stage: int, block: int, mode: str = "swin") -> int:
    """Input patches of Swin-T at 224 that can change ``token`` after ``model.layers[stage].blocks[block]``."""
    return int(receptive_field(token, stage, block, SwinConfig(), mode).sum())


@exercise_check
def check_corner_and_inner(corner: object, inner: object) -> bool:
    """Check the field sizes, after the first two blocks of Swin-T, of the tokens at patches (0, 0) and (3, 3)."""
    hint = (
        "after block 1 each token sees its 7x7 window. In block 2 the windows are shifted by 3: token (3, 3) "
        "sits in a shifted window made of 4 pieces of 4 regular windows; token (0, 0) sits in the wrapped-around "
        "corner window, where the mask keeps it to the 3x3 tokens that came with it from its own window."
    )
    expected = {"corner": field_size((0, 0), 0, 1), "inner": field_size((3, 3), 0, 1)}
    for name, answer in (("corner", corner), ("inner", inner)):
        value, problem = whole_number(answer, name)
        if problem is not None:
            return report(False, problem, hint)
        if value != expected[name]:
            return report(False, f"{name} = {value} is not right.", hint)
    return report(True)


@exercise_check
def check_wmsa_stage_fields(answer: object) -> bool:
    """Check the field sizes at the end of each stage of Swin-T without shifting (W-MSA only), one per stage."""
    config = SwinConfig()
    expected = [field_size((0, 0), stage, depth - 1, mode="wmsa") for stage, depth in enumerate(config.depths)]
    hint = (
        "without a shift nothing leaves its window until patch merging; a window of stage s covers "
        "7 * 2^s x 7 * 2^s input patches (each merging doubles the patches a token stands for)."
    )
    if not isinstance(answer, (list, tuple)) or len(answer) != len(expected):
        return report(False, f"sizes should be a list of {len(expected)} numbers, one per stage; got {answer!r}.", hint)
    for stage, (mine, right) in enumerate(zip(answer, expected), start=1):
        value, problem = whole_number(mine, f"the size of stage {stage}")
        if problem is not None:
            return report(False, problem, hint)
        if value != right:
            return report(False, f"stage {stage}: {value} is not right.", hint)
    return report(True)


@exercise_check
def check_field_through_merging(through_merging: object) -> bool:
    """Check ``through_merging(field)``: bool ``(h, w)`` on a stage -> bool ``(2h, 2w)`` on the stage before."""
    hint = "a merged token (i, j) is made of the 2x2 tokens (2i, 2j), (2i+1, 2j), (2i, 2j+1), (2i+1, 2j+1) before it."
    with torch.random.fork_rng():  # leave the notebook's random numbers alone
        torch.manual_seed(0)
        field = torch.rand(3, 4) > 0.6
    expected = spread_through_merging(field, 6, 8)
    result, problem = run_answer(through_merging, (field,), "through_merging")
    if problem is not None:
        return report(False, problem, hint)
    if isinstance(result, torch.Tensor) and result.dtype != torch.bool:
        return report(False, f"the result should be a bool tensor, got dtype {result.dtype}.", hint)
    return check_tensor(result, expected, hint, "through_merging(field) for a (3, 4) field")
