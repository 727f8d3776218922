"""Naive sliding-window attention (the paper's Introduction and section 2), against a brute force and hand cases."""

import pytest
import torch

from swin_edu.attention import WindowAttention
from swin_edu.sliding_window import neighbourhood_offsets, sliding_window_attention, unfold_neighbourhoods


def brute_force_sliding(x: torch.Tensor, attention: WindowAttention) -> torch.Tensor:
    """One query at a time: gather the keys within M // 2 rows and columns that exist, attend, project."""
    batch, height, width, channels = x.shape
    M, heads = attention.window_size, attention.num_heads
    d = channels // heads
    q, k, v = attention.qkv(x).split(channels, dim=-1)  # each (B, H, W, C)
    table = attention.relative_position_bias_table
    out = torch.zeros(batch, height, width, channels)
    for row in range(height):
        for col in range(width):
            keys = [
                (r, c)
                for r in range(row - M // 2, row + M // 2 + 1)
                for c in range(col - M // 2, col + M // 2 + 1)
                if 0 <= r < height and 0 <= c < width
            ]
            rows = torch.tensor([r for r, _ in keys])
            cols = torch.tensor([c for _, c in keys])
            index = (row - rows + M - 1) * (2 * M - 1) + (col - cols + M - 1)  # (n,)
            for head in range(heads):
                part = slice(head * d, (head + 1) * d)
                logits = k[:, rows, cols, part] @ q[:, row, col, part].unsqueeze(-1)  # (B, n, 1)
                logits = logits.squeeze(-1) * attention.scale + table[index, head]
                out[:, row, col, part] = (logits.softmax(-1).unsqueeze(-1) * v[:, rows, cols, part]).sum(1)
    return attention.proj(out)


def make_attention(window: int, channels: int = 8, heads: int = 2) -> WindowAttention:
    attention = WindowAttention(channels, window, heads)
    with torch.no_grad():
        attention.relative_position_bias_table.normal_()  # a strong bias, so that a wrong offset shows
    return attention


@pytest.mark.parametrize(("height", "width", "window"), [(5, 6, 3), (7, 7, 7), (4, 9, 5)])
def test_equals_the_brute_force(height, width, window):
    torch.manual_seed(0)
    attention = make_attention(window)
    x = torch.randn(2, height, width, 8)
    with torch.no_grad():
        expected = brute_force_sliding(x, attention)
        got = sliding_window_attention(x, attention)
    assert got.shape == x.shape
    assert torch.allclose(got, expected, atol=1e-5)


def test_a_one_by_one_neighbourhood_is_the_value_projected():
    # M = 1: every query sees only itself, so the attention weight is 1 and the output is proj(v)
    torch.manual_seed(0)
    attention = make_attention(1)
    x = torch.randn(1, 3, 4, 8)
    with torch.no_grad():
        v = attention.qkv(x)[..., 16:]
        assert torch.allclose(sliding_window_attention(x, attention), attention.proj(v), atol=1e-6)


def test_neighbourhood_offsets_by_hand():
    # 3 x 3 neighbourhood, row-major: the top-left key is one row and one column before the query
    assert neighbourhood_offsets(3).tolist() == [
        [1, 1],
        [1, 0],
        [1, -1],
        [0, 1],
        [0, 0],
        [0, -1],
        [-1, 1],
        [-1, 0],
        [-1, -1],
    ]


def test_unfold_copies_each_neighbourhood():
    x = torch.arange(12.0).reshape(1, 3, 4, 1)  # token (r, c) holds 4r + c
    neighbourhoods = unfold_neighbourhoods(x, 3)  # (1, 12, 9, 1)
    assert neighbourhoods.shape == (1, 12, 9, 1)
    assert neighbourhoods[0, 5, :, 0].tolist() == [0, 1, 2, 4, 5, 6, 8, 9, 10]  # token (1, 1): all nine exist
    assert neighbourhoods[0, 0, :, 0].tolist() == [0, 0, 0, 0, 0, 1, 0, 4, 5]  # token (0, 0): zero padding


def test_bad_input_says_what_was_expected():
    with pytest.raises(ValueError, match="M must be odd"):
        sliding_window_attention(torch.randn(1, 4, 4, 8), WindowAttention(8, 4, 2))
    with pytest.raises(ValueError, match=r"\(B, H, W, 8\)"):
        sliding_window_attention(torch.randn(1, 8, 4, 4), WindowAttention(8, 3, 2))
