"""Sliding-window attention, the naive way: the baseline that shifted windows replace (paper Introduction, section 2).

In *sliding-window* self-attention every query attends to the M x M tokens centred on itself. Its neighbourhood
differs from its neighbour's by one row or column, so every query has its own key set: the keys and values are
copied once per query (``F.unfold``), M^2 copies of the map, before a tiny (1 x M^2) attention per token. In
Swin's *window* attention the M^2 queries of a window share one key set: the keys are regrouped once, not copied
M^2 times, and a window is one M^2 x M^2 matrix product. Both cost the same multiply-adds for Q K^T and the
weighted sum (every query meets M^2 keys). The paper puts the difference in memory access (Introduction) and
measures it as latency (Table 5, section 4.4); ``benchmarks/bench_sliding_window.py`` and notebook 04 measure it
here, time and memory.

This is a teaching baseline: it reuses a :class:`~swin_edu.attention.WindowAttention` layer's projections and
relative position bias table, so both kinds of attention run with the same weights. It is not part of the model.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange

from swin_edu.attention import WindowAttention


def neighbourhood_offsets(window_size: int) -> torch.Tensor:
    """Offset (query - key) of each of the M x M keys around a centred query, row-major: ``(M*M, 2)``.

    The key at row ``a``, column ``b`` of the neighbourhood is ``(M // 2 - a, M // 2 - b)`` away from the query.
    """
    centre = window_size // 2
    rows, cols = torch.meshgrid(torch.arange(window_size), torch.arange(window_size), indexing="ij")
    return torch.stack([centre - rows.flatten(), centre - cols.flatten()], dim=-1)


def unfold_neighbourhoods(x: torch.Tensor, window_size: int) -> torch.Tensor:
    """Copy out the M x M neighbourhood of every token: ``(B, H, W, C)`` -> ``(B, H*W, M*M, C)``.

    The map is padded with M // 2 zeros on each side, so tokens at the border get zero neighbours (which
    :func:`sliding_window_attention` masks). This tensor is M^2 times the size of ``x``: the cost of a key set per
    query.
    """
    channels = x.shape[-1]
    columns = F.unfold(rearrange(x, "b h w c -> b c h w"), window_size, padding=window_size // 2)  # (B, C*M*M, H*W)
    return rearrange(columns, "b (c mm) hw -> b hw mm c", c=channels)


def sliding_window_attention(x: torch.Tensor, attention: WindowAttention) -> torch.Tensor:
    """Every token attends to the M x M tokens centred on it, with ``attention``'s weights and position bias.

    Args:
        x: feature map ``(B, H, W, C)``, channels-last; any H and W.
        attention: a :class:`WindowAttention` with odd ``window_size`` M (a neighbourhood needs a centre); its
            ``qkv``, ``proj`` and ``relative_position_bias_table`` are used, the bias read at the offset of each
            (query, key) pair, as in window attention.

    Returns:
        ``(B, H, W, C)``. Keys that fall outside the map are masked out (each query attends to the keys that exist).
    """
    window = attention.window_size
    if window % 2 == 0:
        raise ValueError(
            f"sliding-window attention centres an M x M neighbourhood on each query: M must be odd, got {window}"
        )
    if x.ndim != 4 or x.shape[-1] != attention.dim:
        raise ValueError(f"expected a channels-last map (B, H, W, {attention.dim}), got {tuple(x.shape)}")
    _, height, width, _ = x.shape
    heads = attention.num_heads

    q, k, v = rearrange(attention.qkv(x), "b h w (qkv c) -> qkv b h w c", qkv=3)  # each (B, H, W, C)
    q = rearrange(q, "b h w (heads d) -> b heads (h w) 1 d", heads=heads)  # one query per token
    # the key set of every query: (B, heads, H*W, M*M, d), M^2 copies of the keys and of the values
    k = rearrange(unfold_neighbourhoods(k, window), "b hw mm (heads d) -> b heads hw mm d", heads=heads)
    v = rearrange(unfold_neighbourhoods(v, window), "b hw mm (heads d) -> b heads hw mm d", heads=heads)

    logits = (q * attention.scale) @ k.transpose(-2, -1)  # (B, heads, H*W, 1, M*M)
    # relative position bias: the same table as window attention, read at each key's offset from its query
    offsets = neighbourhood_offsets(window).to(x.device) + (window - 1)  # (M*M, 2), in [0, 2M-2]
    bias = attention.relative_position_bias_table[offsets[:, 0] * (2 * window - 1) + offsets[:, 1]]  # (M*M, heads)
    logits = logits + rearrange(bias, "mm heads -> heads 1 1 mm")
    # keys beyond the border of the map are padding: never attended to (the query itself always exists)
    exists = unfold_neighbourhoods(x.new_ones(1, height, width, 1), window)  # (1, H*W, M*M, 1)
    logits = logits.masked_fill(rearrange(exists, "1 hw mm 1 -> hw 1 mm") == 0, float("-inf"))

    out = logits.softmax(dim=-1) @ v  # (B, heads, H*W, 1, d)
    out = rearrange(out, "b heads (h w) 1 d -> b h w (heads d)", h=height, w=width)
    return attention.proj(out)
