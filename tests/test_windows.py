"""Window partition, cyclic shift and the shifted-window mask (paper Fig. 2 and 4; the official code's mask)."""

import pytest
import torch
from official import official_attn_mask

from swin_edu.windows import (
    WindowGrid,
    cyclic_shift,
    region_labels,
    reverse_cyclic_shift,
    shifted_window_mask,
    window_coordinates,
    window_partition,
    window_reverse,
)


@pytest.mark.parametrize("shape, window", [((2, 14, 14, 3), 7), ((1, 8, 12, 5), 4), ((3, 56, 28, 2), 7)])
def test_reverse_undoes_partition(shape, window):
    x = torch.randn(shape)
    windows = window_partition(x, window)
    assert windows.shape == (shape[0] * (shape[1] // window) * (shape[2] // window), window, window, shape[3])
    assert torch.equal(window_reverse(windows, window, shape[1], shape[2]), x)


def test_windows_are_row_major_per_image():
    x = torch.arange(2 * 4 * 6, dtype=torch.float32).reshape(2, 4, 6, 1)  # two images, 2 x 3 windows of 2 x 2
    windows = window_partition(x, 2)
    assert torch.equal(windows[1, :, :, 0], x[0, 0:2, 2:4, 0])  # image 0, window row 0, window column 1
    assert torch.equal(windows[3, :, :, 0], x[0, 2:4, 0:2, 0])  # image 0, window row 1, window column 0
    assert torch.equal(windows[6, :, :, 0], x[1, 0:2, 0:2, 0])  # image 1 starts after the 6 windows of image 0


def test_partition_refuses_sizes_that_are_not_multiples():
    with pytest.raises(ValueError, match="multiples of window_size=7"):
        window_partition(torch.zeros(1, 15, 14, 3), 7)


def test_official_14x14_window_7_shift_3_mask_value_for_value():
    mask = shifted_window_mask(14, 14, 7, 3)
    assert mask.shape == (4, 49, 49) and mask.dtype == torch.float32
    assert torch.equal(mask, official_attn_mask(14, 14, 7, 3))
    assert set(mask.unique().tolist()) == {-100.0, 0.0}
    assert torch.count_nonzero(mask[0]) == 0  # window 0 holds a single region
    # window 3 holds four regions of sizes 4x4, 4x3, 3x4, 3x3: a token sees only its own region
    assert (mask[3] == 0).sum().item() == 16**2 + 12**2 + 12**2 + 9**2


@pytest.mark.parametrize(
    "height, width, window, shift", [(56, 56, 7, 3), (28, 14, 7, 3), (8, 12, 4, 2), (12, 12, 6, 5)]
)
def test_mask_matches_the_official_code_for_any_size(height, width, window, shift):
    assert torch.equal(
        shifted_window_mask(height, width, window, shift), official_attn_mask(height, width, window, shift)
    )


def test_region_labels_of_the_official_14x14_example():
    labels = region_labels(14, 14, 7, 3)
    assert labels[0, 0] == 0 and labels[0, 7] == 1 and labels[0, 11] == 2
    assert labels[7, 0] == 3 and labels[13, 13] == 8
    assert torch.equal(labels.unique(), torch.arange(9.0))


def test_mask_refuses_bad_settings():
    with pytest.raises(ValueError, match="shift_size"):
        shifted_window_mask(14, 14, 7, 7)
    with pytest.raises(ValueError, match="multiple"):
        shifted_window_mask(15, 14, 7, 3)


def test_cyclic_shift_moves_the_top_left_corner_and_reverses():
    x = torch.randn(2, 14, 14, 4)
    shifted = cyclic_shift(x, 3)
    assert torch.equal(shifted[:, 0, 0], x[:, 3, 3])
    assert torch.equal(shifted[:, -3, -3], x[:, 0, 0])  # the wrapped-around corner (region A in Fig. 4)
    assert torch.equal(reverse_cyclic_shift(shifted, 3), x)


@pytest.mark.parametrize("height, width, window, shift", [(5, 6, 4, 2), (14, 14, 7, 3), (7, 9, 7, 3), (4, 4, 4, 1)])
def test_window_grid_round_trip_and_each_step(height, width, window, shift):
    grid = WindowGrid.for_map(height, width, window, shift)
    x = torch.randn(2, height, width, 3)
    windows = grid.to_windows(x)
    padded_height, padded_width = -(-height // window) * window, -(-width // window) * window
    assert (grid.padded_height, grid.padded_width) == (padded_height, padded_width)
    assert windows.shape == (2 * padded_height * padded_width // window**2, window * window, 3)
    assert torch.equal(grid.from_windows(windows), x)
    # the steps, written out with torch alone: zero padding, roll, view/permute partition (the official code's)
    padded = torch.zeros(2, padded_height, padded_width, 3)
    padded[:, :height, :width] = x
    rolled = torch.roll(padded, (-grid.shift[0], -grid.shift[1]), dims=(1, 2))
    by_hand = rolled.view(2, padded_height // window, window, padded_width // window, window, 3)
    by_hand = by_hand.permute(0, 1, 3, 2, 4, 5).reshape(-1, window * window, 3)
    assert torch.equal(windows, by_hand)


def test_window_grid_shifts_no_axis_that_one_window_covers():
    assert WindowGrid.for_map(7, 9, 7, 3).shift == (0, 3)  # 7 rows: one window tall; 9 columns pad to 14
    assert WindowGrid.for_map(7, 7, 7, 3).shift == (0, 0) and not WindowGrid.for_map(7, 7, 7, 3).is_shifted
    assert WindowGrid.for_map(14, 14, 7, 0).shift == (0, 0)


def test_window_coordinates_by_hand():
    # a 5 x 6 map, M = 4, s = 2: padded to 8 x 8, rolled up and left by 2, four windows of 4 x 4
    coordinates = window_coordinates(5, 6, 4, 2)
    assert coordinates.shape == (4, 16, 2)
    # window 0, first token: rolled position (0, 0) holds original (2, 2); its row continues (2, 3) (2, 4) (2, 5)
    assert coordinates[0, :4].tolist() == [[2, 2], [2, 3], [2, 4], [2, 5]]
    # window 1 starts at rolled column 4, i.e. original column 6, padding, then 7 (padding), then 0, 1 (wrapped)
    assert coordinates[1, :4].tolist() == [[-1, -1], [-1, -1], [2, 0], [2, 1]]
    # window 3, last token: rolled (7, 7) holds original (1, 1), wrapped around both borders
    assert coordinates[3, -1].tolist() == [1, 1]
    real = coordinates[coordinates[..., 0] >= 0]
    assert len(real) == 30 and len({tuple(c) for c in real.tolist()}) == 30  # every token once
