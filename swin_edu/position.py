"""Relative position bias: Attention(Q, K, V) = SoftMax(Q K^T / sqrt(d) + B) V  (paper section 3.2, Eq. 4).

Inside an M x M window, the offset between two tokens is (dy, dx) with each coordinate in [-(M-1), M-1]:
(2M-1)^2 possible offsets. Each attention layer learns one bias per offset and per head, a table of shape
((2M-1)^2, heads). The index built here says, for every pair (query i, key j) of the M*M tokens, which
row of that table to read.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange


def token_coordinates(window_size: int) -> torch.Tensor:
    """(row, col) of every token of an M x M window, row-major: ``(M*M, 2)``."""
    rows, cols = torch.meshgrid(torch.arange(window_size), torch.arange(window_size), indexing="ij")
    return torch.stack([rows.flatten(), cols.flatten()], dim=-1)


def relative_offsets(window_size: int) -> torch.Tensor:
    """Offset from key j to query i, ``coords[i] - coords[j]``, for every pair: ``(M*M, M*M, 2)``, in [-(M-1), M-1]."""
    coords = token_coordinates(window_size)  # (M*M, 2)
    return coords[:, None, :] - coords[None, :, :]  # (M*M, M*M, 2)


def relative_position_index(window_size: int) -> torch.Tensor:
    """Row of the bias table for every (query, key) pair of a window: long tensor ``(M*M, M*M)``.

    Three steps:
    1. the offset (dy, dx) of each pair, each in [-(M-1), M-1];
    2. shift both to [0, 2M-2] by adding M-1;
    3. read the pair (dy, dx) as a two-digit number in base 2M-1: ``dy * (2M-1) + dx``. Multiplying by
       2M-1 (the number of possible dx values), not by M, is what keeps (dy, dx) and (dy', dx') apart.
    """
    offsets = relative_offsets(window_size) + (window_size - 1)  # (M*M, M*M, 2), in [0, 2M-2]
    return offsets[..., 0] * (2 * window_size - 1) + offsets[..., 1]


def relative_position_bias(table: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Look the bias of every (query, key) pair up in the table.

    Args:
        table: ``((2M-1)^2, heads)``, the learned ``relative_position_bias_table``.
        index: ``(M*M, M*M)`` from :func:`relative_position_index`.

    Returns:
        ``(heads, M*M, M*M)``, ready to add to the attention logits of every window.
    """
    bias = table[index.flatten()]  # (M*M * M*M, heads)
    return rearrange(bias, "(i j) heads -> heads i j", i=index.shape[0])


def resize_bias_table(table: torch.Tensor, new_window_size: int) -> torch.Tensor:
    """Interpolate a bias table to another window size (as when fine-tuning at 384 with M = 12).

    The table is a (2M-1) x (2M-1) image per head; bicubic interpolation stretches it to (2M'-1) x (2M'-1).

    Args:
        table: ``((2M-1)^2, heads)``.
        new_window_size: M'.

    Returns:
        ``((2M'-1)^2, heads)``.
    """
    old_side = round(table.shape[0] ** 0.5)
    if old_side * old_side != table.shape[0]:
        raise ValueError(f"a bias table has (2M-1)^2 rows, got {table.shape[0]}")
    new_side = 2 * new_window_size - 1
    if new_side == old_side:
        return table.clone()
    grid = rearrange(table, "(h w) heads -> 1 heads h w", h=old_side)
    resized = F.interpolate(grid.float(), size=(new_side, new_side), mode="bicubic", align_corners=False)
    return rearrange(resized, "1 heads h w -> (h w) heads").to(table.dtype)
