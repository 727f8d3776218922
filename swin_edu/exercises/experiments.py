"""Checks for notebook 11: what each piece buys (the experiments of :mod:`swin_edu.experiments`)."""

from __future__ import annotations

import copy

import torch

from swin_edu.exercises import exercise_check, report, run_answer
from swin_edu.experiments.ablations import one_stage_swin, swin_blocks
from swin_edu.experiments.training import compare
from swin_edu.windows import cyclic_shift, window_partition


@exercise_check
def check_remove_shift(remove: object) -> bool:
    """Check ``remove(model) -> model``: afterwards every block of the model attends in regular windows."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = one_stage_swin(8, 1, 3, 2, depth=2, embed_dim=16, num_heads=2, window_size=4)
    result, problem = run_answer(remove, (copy.deepcopy(model),), "remove")
    hint = "every SwinBlock reads its shift_size on each call: set it to 0 on each block (model.modules())."
    if problem is not None:
        return report(False, problem, hint)
    if not isinstance(result, torch.nn.Module):
        return report(False, f"remove should return the model, got {type(result).__name__}.", hint)
    shifts = [block.shift_size for block in swin_blocks(result)]
    if len(shifts) != 2:
        return report(False, f"the model should still have its 2 blocks, it has {len(shifts)}.", hint)
    return report(all(shift == 0 for shift in shifts), f"the blocks' shift sizes are {shifts}.", hint)


def wrapped_partners(height: int, width: int, window_size: int, shift_size: int, token: tuple[int, int]) -> set:
    """The tokens that share ``token``'s shifted window only because of the roll (without the mask)."""
    ids = torch.arange(height * width).reshape(1, height, width, 1)
    windows = window_partition(cyclic_shift(ids, shift_size), window_size).flatten(1)  # (nW, M*M)
    target = token[0] * width + token[1]
    window = windows[(windows == target).any(dim=1)][0]
    together = {(int(i) // width, int(i) % width) for i in window}
    # a neighbour in the original map is at most M - 1 away without wrapping around: the others wrapped
    return {(r, c) for r, c in together if abs(r - token[0]) >= window_size or abs(c - token[1]) >= window_size}


@exercise_check
def check_wrapped_partners(answer: object, height: int = 8, width: int = 8, window_size: int = 4, shift_size: int = 2):
    """Which tokens share the shifted window of token (0, 0) only because of the wrap-around (not neighbours)?"""
    expected = wrapped_partners(height, width, window_size, shift_size, (0, 0))
    hint = (
        f"roll the {height}x{width} map up and left by {shift_size}: token (0, 0) lands at "
        f"({height - shift_size}, {width - shift_size}), in the bottom-right window; which original rows and "
        f"columns fill that window? Token (0, 0) and its neighbours came round the border; the partners from the "
        f"last {shift_size} rows or columns lie on the far side of the image."
    )
    if answer is None:
        return report(False, "the answer is still None.", hint)
    try:
        given = {(int(r), int(c)) for r, c in answer}
    except (TypeError, ValueError):
        return report(False, "give a set of (row, col) pairs, e.g. {(7, 0), (7, 1)}.", hint)
    missing, extra = sorted(expected - given), sorted(given - expected)
    problem = f"{len(missing)} missing (e.g. {missing[:2]}) and {len(extra)} that do not belong (e.g. {extra[:2]})."
    return report(given == expected, problem, hint)


@exercise_check
def check_clear_difference(decide: object) -> bool:
    """Check ``decide(a_seeds, b_seeds) -> bool``: does a differ from b by more than the spread over seeds?"""
    cases = [
        ([0.70, 0.90], [0.74, 0.76]),
        ([0.98, 1.0], [0.49, 0.52]),
        ([0.60, 0.62], [0.61, 0.64]),
        ([0.9, 0.95], [0.5, 0.97]),
    ]
    hint = (
        "the spread of a variant is max - min over its seeds; the difference is clear when the gap between the "
        "means is larger than the bigger of the two spreads (as swin_edu.experiments.training.compare says)."
    )
    for a, b in cases:
        variants = {
            name: {"accuracy": sum(v) / len(v), "per_seed": v, "spread": max(v) - min(v)}
            for name, v in (("a", a), ("b", b))
        }
        expected = "larger than the spread" in compare(variants, "a", "b")
        result, problem = run_answer(decide, (a, b), "decide")
        if problem is not None:
            return report(False, problem, hint)
        if not isinstance(result, bool):
            return report(False, f"decide should return True or False, got {result!r}.", hint)
        if result != expected:
            return report(False, f"for a = {a}, b = {b} it returned {result}.", hint)
    return report(True)
