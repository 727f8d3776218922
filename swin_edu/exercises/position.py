"""Checks for notebook 03: the relative position index and the bias table (paper section 3.2, Eq. 4)."""

from __future__ import annotations

import torch

from swin_edu.attention import WindowAttention
from swin_edu.exercises import check_number, exercise_check, report, whole_number
from swin_edu.position import relative_offsets, relative_position_index


@exercise_check
def check_table_rows(answer: object, window_size: int = 12) -> bool:
    """How many rows does the relative position bias table of an M x M window have?"""
    with torch.random.fork_rng():  # building a layer must not move the student's random state
        attention = WindowAttention(dim=1, window_size=window_size, num_heads=1)
    expected = attention.relative_position_bias_table.shape[0]
    hint = "each of dy and dx runs from -(M-1) to M-1, that is 2M-1 values; the table has a row per (dy, dx) pair."
    return check_number(answer, expected, hint, what="the number of rows")


@exercise_check
def check_pair_index(
    answer: object, query: tuple[int, int] = (2, 5), key: tuple[int, int] = (4, 1), window_size: int = 7
) -> bool:
    """Which row of the bias table does the pair (query token, key token) read? Tokens as (row, col)."""
    query_index = query[0] * window_size + query[1]  # row-major position inside the window
    key_index = key[0] * window_size + key[1]
    expected = relative_position_index(window_size)[query_index, key_index].item()
    hint = "dy = query row - key row, dx = query col - key col; add M-1 to each, then dy * (2M-1) + dx."
    return check_number(answer, expected, hint, what="the index")


@exercise_check
def check_collision(offset_a: object, offset_b: object, window_size: int = 7) -> bool:
    """Find two different offsets (dy, dx) that the wrong formula ``dy * M + dx`` sends to the same row."""
    hint = (
        "after the shift, dx runs from 0 to 2M-2, so a shifted dx of M or more spills over into the 'dy digit': "
        "look for a second offset whose dy is one larger."
    )
    if offset_a is None or offset_b is None:
        return report(False, "the offsets are still None.", hint)
    pairs = []
    for name, offset in (("offset_a", offset_a), ("offset_b", offset_b)):
        try:
            dy, dx = offset
        except (TypeError, ValueError):
            return report(False, f"{name} should be a pair of integers (dy, dx), got {type(offset).__name__}.", hint)
        (dy, problem_dy), (dx, problem_dx) = whole_number(dy, f"dy of {name}"), whole_number(dx, f"dx of {name}")
        if problem_dy or problem_dx:
            return report(False, problem_dy or problem_dx, hint)
        pairs.append((dy, dx))
    (dy_a, dx_a), (dy_b, dx_b) = pairs
    offsets = relative_offsets(window_size)  # (N, N, 2)
    index = relative_position_index(window_size)  # (N, N)
    rows = []
    for dy, dx in ((dy_a, dx_a), (dy_b, dx_b)):
        pairs = ((offsets[..., 0] == dy) & (offsets[..., 1] == dx)).nonzero()
        if len(pairs) == 0:
            limit = window_size - 1
            return report(
                False, f"({dy}, {dx}) is not an offset inside a window: both lie in [-{limit}, {limit}].", hint
            )
        rows.append(index[pairs[0, 0], pairs[0, 1]].item())
    if (dy_a, dx_a) == (dy_b, dx_b):
        return report(False, "the two offsets are the same offset.", hint)
    shift = window_size - 1
    wrong_a = (dy_a + shift) * window_size + dx_a + shift
    wrong_b = (dy_b + shift) * window_size + dx_b + shift
    if wrong_a != wrong_b:
        return report(False, f"dy * M + dx gives them rows {wrong_a} and {wrong_b}: no collision.", hint)
    assert rows[0] != rows[1], "relative_position_index must keep different offsets apart"
    return report(True)
