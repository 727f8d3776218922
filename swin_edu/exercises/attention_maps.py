"""Checks for notebook 12: what a trained Swin attends to, and its learned relative position bias."""

from __future__ import annotations

import torch

from swin_edu.analysis import mean_attention_distance
from swin_edu.exercises import exercise_check, report, run_answer, tensor_problem, whole_number
from swin_edu.model import SwinTransformer
from swin_edu.position import relative_offsets, relative_position_bias, relative_position_index


@exercise_check
def check_most_local_head(answer: object, model: SwinTransformer, images: torch.Tensor, stage: int, block: int) -> bool:
    """Check the index of the head of ``model.layers[stage].blocks[block]`` with the smallest mean distance."""
    distances = mean_attention_distance(model, images, stage, block)
    hint = (
        "compute the mean attention distance of every head of that block (the cell above shows how) and take "
        "the index of the smallest, e.g. with .argmin()."
    )
    answer, problem = whole_number(answer, "head")  # 2, 2.0, np.int64(2) and tensor(2) are all head 2
    if problem is not None:
        return report(False, problem, hint)
    if not 0 <= answer < len(distances):
        return report(False, f"head should be a head index from 0 to {len(distances) - 1}, got {answer!r}.", hint)
    if answer != int(distances.argmin()):
        return report(
            False, f"head {answer} looks {distances[answer]:.2f} tokens away on average; another looks closer.", hint
        )
    return report(True)


@exercise_check
def check_bias_lookup(lookup: object) -> bool:
    """Check ``lookup(table, M, dy, dx)``: the bias of every head for a key at offset (dy, dx) from the query.

    (dy, dx) = (query row - key row, query column - key column), the convention of
    :func:`swin_edu.position.relative_offsets`; the answer has shape ``(heads,)``.
    """
    hint = (
        "shift the offset to non-negative values, (dy + M - 1, dx + M - 1), and read it as a two-digit number in "
        "base 2M - 1: that is the row of the table (notebook 03)."
    )
    window = 4
    with torch.random.fork_rng():  # leave the notebook's random numbers alone
        torch.manual_seed(0)
        table = torch.randn((2 * window - 1) ** 2, 3)
    bias = relative_position_bias(table, relative_position_index(window))  # (heads, N, N)
    offsets = relative_offsets(window)  # (N, N, 2)
    for dy, dx in [(0, -1), (2, 1), (-3, 3), (0, 0)]:
        query, key = ((offsets == torch.tensor([dy, dx])).all(-1).nonzero()[0]).tolist()
        result, problem = run_answer(lookup, (table, window, dy, dx), "lookup")
        if problem is not None:
            return report(False, problem, hint)
        problem = tensor_problem(result, bias[:, query, key], f"lookup(table, 4, {dy}, {dx})")
        if problem is not None:
            return report(False, problem, hint)
    return report(True)
