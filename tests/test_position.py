"""Relative position index and bias (paper Eq. 4)."""

import pytest
import torch
from official import official_relative_position_index, official_resize
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


def test_bias_of_each_pair_by_hand():
    """Every (head, query, key) entry read from a table of distinct values, against an offset worked out by hand."""
    window, heads = 3, 2
    table = torch.arange((2 * window - 1) ** 2 * heads, dtype=torch.float32).reshape(-1, heads)  # distinct values
    bias = relative_position_bias(table, relative_position_index(window))
    for query in range(window * window):
        for key in range(window * window):
            dy = query // window - key // window  # row offset, query minus key
            dx = query % window - key % window  # column offset
            row = (dy + window - 1) * (2 * window - 1) + (dx + window - 1)
            assert bias[:, query, key].tolist() == table[row].tolist(), (query, key)


def test_index_equals_the_official_code():
    for window in (2, 3, 7, 12):
        assert torch.equal(relative_position_index(window), official_relative_position_index(window))


@pytest.mark.parametrize("old, new", [(7, 12), (12, 7), (7, 8), (4, 7)])
def test_resize_equals_the_official_loader(old, new):
    table = torch.randn((2 * old - 1) ** 2, 3)
    resized = resize_bias_table(table, new)
    assert resized.shape == ((2 * new - 1) ** 2, 3)
    assert torch.allclose(resized, official_resize(table, new), atol=1e-6)


def test_resize_keeps_rows_rows_and_columns_columns():
    """A table that varies along dy only must, resized, still vary along dy only: a transpose would swap that."""
    old, new = 7, 12
    dy = torch.arange(2 * old - 1, dtype=torch.float32)  # (13,)
    by_row = dy[:, None].expand(-1, 2 * old - 1).reshape(-1, 1)  # table row (dy, dx) holds dy
    resized = resize_bias_table(by_row, new).reshape(2 * new - 1, 2 * new - 1)  # (23, 23) as (dy, dx)
    assert torch.allclose(resized, resized[:, :1].expand_as(resized))  # constant along dx
    assert (resized[1:, 0] > resized[:-1, 0]).all()  # increasing along dy


def test_resize_to_the_same_window_keeps_the_table_as_the_official_loader_does():
    table = torch.randn(13 * 13, 4)
    same = resize_bias_table(table, 7)
    assert torch.equal(same, table) and same.data_ptr() != table.data_ptr()  # a copy, never the same storage
    assert torch.allclose(same, official_resize(table, 7), atol=1e-6)  # interpolating would change nothing


def test_resize_refuses_a_table_that_is_not_square():
    with pytest.raises(ValueError, match=r"\(2M-1\)\^2 rows, got 150"):
        resize_bias_table(torch.zeros(150, 3), 7)
