"""The official Swin code's own constructions (microsoft/Swin-Transformer), as it writes them: test references.

Written out here, independent of swin_edu, so that tests compare swin_edu with what the official code computes:
the relative position index and shift mask of ``models/swin_transformer.py`` (both saved in its checkpoints),
and the bias-table resize of ``utils.load_pretrained``. Importable as ``official`` from any test module.
"""

from __future__ import annotations

import torch


def official_relative_position_index(window: int) -> torch.Tensor:
    """``WindowAttention.relative_position_index`` as the official code builds it (persistent in its files)."""
    coords = torch.stack(torch.meshgrid([torch.arange(window), torch.arange(window)], indexing="ij"))  # 2, M, M
    coords_flatten = torch.flatten(coords, 1)  # 2, M*M
    relative_coords = (coords_flatten[:, :, None] - coords_flatten[:, None, :]).permute(1, 2, 0).contiguous()
    relative_coords[:, :, 0] += window - 1
    relative_coords[:, :, 1] += window - 1
    relative_coords[:, :, 0] *= 2 * window - 1
    return relative_coords.sum(-1)  # M*M, M*M


def official_attn_mask(height: int, width: int, window: int, shift: int) -> torch.Tensor:
    """``SwinTransformerBlock.attn_mask`` as the official code builds it for a shifted block."""
    img_mask = torch.zeros((1, height, width, 1))
    slices = (slice(0, -window), slice(-window, -shift), slice(-shift, None))
    count = 0
    for h in slices:
        for w in slices:
            img_mask[:, h, w, :] = count
            count += 1
    mask_windows = img_mask.view(1, height // window, window, width // window, window, 1)
    mask_windows = mask_windows.permute(0, 1, 3, 2, 4, 5).reshape(-1, window * window)
    attn_mask = mask_windows.unsqueeze(1) - mask_windows.unsqueeze(2)
    return attn_mask.masked_fill(attn_mask != 0, -100.0).masked_fill(attn_mask == 0, 0.0)


def official_resize(table: torch.Tensor, new_window: int) -> torch.Tensor:
    """The official ``utils.load_pretrained``'s resize of a bias table, as written there."""
    rows, heads = table.size()
    old_side, new_side = int(rows**0.5), 2 * new_window - 1
    resized = torch.nn.functional.interpolate(
        table.permute(1, 0).view(1, heads, old_side, old_side), size=(new_side, new_side), mode="bicubic"
    )
    return resized.view(heads, new_side * new_side).permute(1, 0)
