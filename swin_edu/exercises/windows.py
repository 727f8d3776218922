"""Checks for notebooks 00 and 02: windows and what attention costs (paper section 3.2, formulas 1 and 2)."""

from __future__ import annotations

from typing import Literal

import torch

from swin_edu.complexity import msa_cost, wmsa_cost
from swin_edu.exercises import check_function, check_number, exercise_check
from swin_edu.windows import window_partition, window_reverse


@exercise_check
def check_num_windows(answer: object, height: int = 56, width: int = 56, window_size: int = 7) -> bool:
    """How many M x M windows does an H x W feature map hold?"""
    expected = window_partition(torch.zeros(1, height, width, 1), window_size).shape[0]
    hint = f"count the windows along each side ({height} / {window_size} and {width} / {window_size}), then multiply."
    return check_number(answer, expected, hint, what="the number of windows")


@exercise_check
def check_window_reverse(reverse: object) -> bool:
    """Check ``reverse(windows (B*nW, M, M, C), M, H, W) -> (B, H, W, C)`` against ``window_reverse``."""
    with torch.random.fork_rng():
        torch.manual_seed(0)
        windows = torch.randn(2 * 6, 4, 4, 5)  # 2 images of 8 x 12, windows of 4 x 4: 2 x 3 windows each
    expected = window_reverse(windows, 4, 8, 12)
    hint = (
        "invert the partition pattern 'b (nh wh) (nw ww) c -> (b nh nw) wh ww c': swap its two sides and give "
        "einops nh = H // M and nw = W // M."
    )
    return check_function(reverse, (windows, 4, 8, 12), expected, hint, what="reverse")


@exercise_check
def check_cost_ratio(answer: object, h: int = 56, w: int = 56, channels: int = 96, window_size: int = 7) -> bool:
    """How many times more multiply-adds does global MSA need than W-MSA (formulas 1 and 2)? Within 1%."""
    expected = msa_cost(h, w, channels) / wmsa_cost(h, w, channels, window_size)
    hint = "divide formula (1) by formula (2); the 4hwC^2 term is the same in both, only the attention term differs."
    return check_number(answer, expected, hint, what="the ratio", rel_tol=0.01)


@exercise_check
def check_cost_growth(
    answer: object,
    attention: Literal["msa", "wmsa"],
    h: int = 56,
    w: int = 56,
    channels: int = 96,
    window_size: int = 7,
) -> bool:
    """By what factor does the cost grow when both sides of the feature map double? Within 1%."""
    if attention == "msa":
        expected = msa_cost(2 * h, 2 * w, channels) / msa_cost(h, w, channels)
        hint = "doubling both sides makes hw four times larger, and (hw)^2 sixteen times; the 4hwC^2 term grows 4x."
    else:
        expected = wmsa_cost(2 * h, 2 * w, channels, window_size) / wmsa_cost(h, w, channels, window_size)
        hint = "with M fixed, every term of formula (2) is proportional to hw."
    return check_number(answer, expected, hint, what="the growth factor", rel_tol=0.01)
