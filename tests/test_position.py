"""Relative position index and bias (paper Eq. 4)."""

import torch
from timm.models.swin_transformer import get_relative_position_index

from swin_edu.position import relative_offsets, relative_position_bias, relative_position_index, resize_bias_table


def test_index_for_a_2x2_window_by_hand():
    # tokens (0,0) (0,1) (1,0) (1,1); index = (dy + 1) * 3 + (dx + 1)
    expected = torch.tensor([[4, 3, 1, 0], [5, 4, 2, 1], [7, 6, 4, 3], [8, 7, 5, 4]])
    assert torch.equal(relative_position_index(2), expected)


def test_index_uses_every_row_of_the_table_and_equals_timm():
    for window in (2, 4, 7, 12):
        index = relative_position_index(window)
        assert index.shape == (window**2, window**2)
        assert torch.equal(index.unique(), torch.arange((2 * window - 1) ** 2))
        assert torch.equal(index, get_relative_position_index(window, window))


def test_offsets_are_antisymmetric_and_bounded():
    offsets = relative_offsets(7)
    assert torch.equal(offsets, -offsets.transpose(0, 1))
    assert offsets.min() == -6 and offsets.max() == 6


def test_bias_reads_the_table_for_each_pair():
    table = torch.randn(13 * 13, 3)
    index = relative_position_index(7)
    bias = relative_position_bias(table, index)
    assert bias.shape == (3, 49, 49)
    reference = table[index.view(-1)].view(49, 49, -1).permute(2, 0, 1)  # the official code's lookup
    assert torch.equal(bias, reference)


def test_resize_bias_table():
    table = torch.randn(13 * 13, 4)
    assert torch.equal(resize_bias_table(table, 7), table)
    resized = resize_bias_table(table, 12)
    assert resized.shape == (23 * 23, 4)
    constant = torch.ones(13 * 13, 2)
    assert torch.allclose(resize_bias_table(constant, 12), torch.ones(23 * 23, 2), atol=1e-5)
