"""Checks for notebook 04: the cyclic shift, its regions and the attention mask (paper Figure 4)."""

from __future__ import annotations

import torch

from swin_edu.exercises import check_function, check_number, exercise_check
from swin_edu.windows import cyclic_shift, region_labels, reverse_cyclic_shift, shifted_window_mask, window_partition


@exercise_check
def check_regions_in_window(
    answer: object, window: int, height: int = 14, width: int = 14, window_size: int = 7, shift_size: int = 3
) -> bool:
    """How many different regions (labels) does window ``window`` of the shifted map contain?"""
    labels = region_labels(height, width, window_size, shift_size)[None, :, :, None]  # (1, H, W, 1)
    windows = window_partition(labels, window_size)  # (nW, M, M, 1)
    expected = windows[window].unique().numel()
    hint = (
        "windows are numbered row-major; the region bands start at H-M and H-s (rows) and W-M and W-s (columns): "
        "count the bands that cross the window in each direction and multiply."
    )
    return check_number(answer, expected, hint, what="the number of regions")


@exercise_check
def check_masked_pairs(
    answer: object, window: int, height: int = 14, width: int = 14, window_size: int = 7, shift_size: int = 3
) -> bool:
    """How many (query, key) pairs of window ``window`` get -100 in the attention mask?"""
    mask = shifted_window_mask(height, width, window_size, shift_size)  # (nW, N, N)
    expected = int((mask[window] != 0).sum())
    hint = (
        "a pair is masked when its two tokens lie in different regions: count the tokens of each region, "
        "then the ordered pairs (i, j) whose tokens are in different regions (both orders count)."
    )
    return check_number(answer, expected, hint, what="the number of masked pairs")


@exercise_check
def check_reverse_shift(unshift: object) -> bool:
    """Check ``unshift(x (B, H, W, C), s) -> (B, H, W, C)``: it must undo ``cyclic_shift(x, s)``."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        x = torch.randn(2, 14, 14, 3)
    shifted = cyclic_shift(x, 3)
    expected = reverse_cyclic_shift(shifted, 3)  # == x
    hint = "cyclic_shift rolls by (-s, -s) over dims (1, 2); roll the other way, by (+s, +s), over the same dims."
    return check_function(unshift, (shifted, 3), expected, hint, what="unshift")
