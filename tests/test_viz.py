"""The drawing functions: each figure changes with its settings and shows the package's own values."""

import numpy as np
import pytest
import torch
from matplotlib.collections import LineCollection, PathCollection

from swin_edu.analysis import attention_map
from swin_edu.complexity import measure_attention_layers, msa_cost, wmsa_cost
from swin_edu.images import sample_photo, sample_photo_array
from swin_edu.position import relative_position_bias, relative_position_index
from swin_edu.receptive_field import receptive_field
from swin_edu.viz import (
    figure_pixels,
    plot_attention_maps,
    plot_complexity,
    plot_mask,
    plot_receptive_field,
    plot_relative_position,
    plot_shift,
    plot_windows,
)
from swin_edu.viz.mask import describe_entry, separated_pairs
from swin_edu.viz.position import random_attention
from swin_edu.viz.shift import shift_stages
from swin_edu.viz.style import cell_label_paths
from swin_edu.viz.windows import window_layout
from swin_edu.windows import WindowGrid, cyclic_shift, region_labels, shifted_window_mask


def differ(first, second) -> bool:
    a, b = figure_pixels(first), figure_pixels(second)
    return a.shape != b.shape or not np.array_equal(a, b)


def test_sample_photo():
    photo = sample_photo(224)
    assert photo.shape == (3, 224, 224) and photo.dtype == torch.float32
    assert 0 <= float(photo.min()) and float(photo.max()) <= 1 and float(photo.std()) > 0.05
    assert np.array_equal(sample_photo_array(64, "astronaut").transpose(2, 0, 1), sample_photo(64, "astronaut").numpy())


def test_windows_figure_and_numbers():
    layout = window_layout(224, 4, 7, 1)
    assert (layout.windows, layout.tokens_per_window, layout.map_height) == (64, 49, 56)
    assert layout.cost_msa == msa_cost(56, 56, 96) and layout.cost_wmsa == wmsa_cost(56, 56, 96, 7)
    assert window_layout(224, 4, 7, 4).windows == 1
    first = plot_windows(stage=1)
    msa, wmsa = first.axes[1].containers  # bars from the bottom of the fixed axis up to each cost, stages 1-4
    for stage, (height, width) in enumerate([(56, 56), (28, 28), (14, 14), (7, 7)]):
        assert msa[stage].get_y() + msa[stage].get_height() == msa_cost(height, width, 96 * 2**stage)
        assert wmsa[stage].get_y() + wmsa[stage].get_height() == wmsa_cost(height, width, 96 * 2**stage, 7)
    assert differ(first, plot_windows(stage=2))
    assert differ(first, plot_windows(window_size=8))
    padded = window_layout(224, 4, 8, 4)  # an 8x8 window on the 7x7 map: padded to 8x8, as the model pads
    assert (padded.windows, padded.padded_height, padded.padded_width) == (1, 8, 8)
    assert padded.cost_wmsa == wmsa_cost(8, 8, 768, 8) and padded.cost_msa == msa_cost(7, 7, 768)
    with pytest.raises(ValueError, match="stage"):
        plot_windows(stage=5)


def test_shift_figure_uses_torch_roll():
    stages = shift_stages(8, 8, 2)
    ids = torch.arange(64).reshape(1, 8, 8, 1)
    assert torch.equal(stages["shifted"], torch.roll(ids, (-2, -2), (1, 2))[0, ..., 0])
    assert torch.equal(stages["shifted"], cyclic_shift(ids, 2)[0, ..., 0])
    assert torch.equal(stages["restored"], stages["before"])
    figure = plot_shift()
    # the ids drawn after the roll, row by row: one collection of glyph outlines, one label per cell
    written = next(c for c in figure.axes[1].collections if isinstance(c, PathCollection) and len(c.get_paths()) == 64)
    expected = cell_label_paths(stages["shifted"].numpy(), fontsize=8)
    assert len(written.get_paths()) == 64
    assert all(np.array_equal(a.vertices, b.vertices) for a, b in zip(written.get_paths(), expected))
    assert not np.array_equal(expected[0].vertices, cell_label_paths(stages["before"].numpy(), fontsize=8)[0].vertices)
    rows, cols = np.indices((8, 8))
    assert np.array_equal(written.get_offsets(), np.column_stack([cols.ravel(), rows.ravel()]))  # (x, y) of each cell
    assert differ(figure, plot_shift(shift=1))
    assert differ(figure, plot_shift(roll=1))  # a step of the roll


def test_shift_and_mask_share_one_rule():
    for plot in (plot_shift, plot_mask):
        with pytest.raises(ValueError, match="whole window .* is no shift"):
            plot(8, 8, 4, 4)
        with pytest.raises(ValueError, match="less than the window"):
            plot(8, 8, 4, 5)
        plot(10, 8, 5, 2)  # padded to 10x10, as the model pads: drawn, not refused
        plot(15, 14, 7, 3)


def test_shift_figure_pads_as_the_model_does():
    figure = plot_shift(10, 8, 5, 2)  # padded to 10x10: two padding columns, rolled left by 2 in the middle panel
    padded = torch.zeros(1, 10, 10, 1)
    padded[:, :, 8:] = 1
    rolled = cyclic_shift(padded, 2)[0, :, :, 0]  # (10, 10)
    columns = rolled.all(0).nonzero().flatten().tolist()
    bands = [p for p in figure.axes[1].patches if p.get_visible() and p.get_hatch() == ".."]
    assert len(bands) == 1 and (bands[0].get_x() + 0.5, bands[0].get_width()) == (columns[0], len(columns)) == (6, 2)
    one_window = plot_shift(4, 4, 5, 2)  # a 5x5 window on a 4x4 map: padded to one window, nothing to shift
    assert "roll by -0" in one_window.axes[1].get_title()


def test_mask_figure_is_the_seed_demo():
    figure = plot_mask()
    assert len(figure.axes) == 6  # labels, four masks, colour bar
    assert np.array_equal(figure.axes[0].images[0].get_array(), region_labels(14, 14, 7, 3).numpy())
    masks = shifted_window_mask(14, 14, 7, 3)
    for window in range(4):
        assert np.array_equal(figure.axes[1 + window].images[0].get_array(), masks[window].numpy())
    assert differ(figure, plot_mask(shift=2))
    assert differ(figure, plot_mask(selected=1, query=0, key=4))
    with pytest.raises(ValueError):
        plot_mask(14, 14, 7, 7)


def brute_force_pairs(height: int, width: int, window_size: int, shift: int, window: int) -> list[tuple[int, int, int]]:
    """Region pairs of the -100 entries of one window, counted entry by entry."""
    masks, labels = (
        shifted_window_mask(height, width, window_size, shift),
        region_labels(height, width, window_size, shift),
    )
    per_row = width // window_size
    top, left = (window // per_row) * window_size, (window % per_row) * window_size
    tokens = labels[top : top + window_size, left : left + window_size].flatten().tolist()
    counts: dict[tuple[int, int], int] = {}
    for query in range(len(tokens)):
        for key in range(len(tokens)):
            if masks[window, query, key] == -100:
                pair = (int(min(tokens[query], tokens[key])), int(max(tokens[query], tokens[key])))
                counts[pair] = counts.get(pair, 0) + 1
    return [(a, b, n) for (a, b), n in sorted(counts.items())]


def test_mask_readout_names_the_regions():
    grid = WindowGrid.for_map(14, 14, 7, 3)
    assert separated_pairs(grid, 0) == []
    assert separated_pairs(grid, 1) == [(1, 2, 2 * 28 * 21)]
    assert "separates region 1" in describe_entry(grid, 1, 0, 4) and "region 2" in describe_entry(grid, 1, 0, 4)
    assert "= 0" in describe_entry(grid, 1, 0, 3)
    assert {(a, b) for a, b, _ in separated_pairs(grid, 3)} == {(4, 5), (4, 7), (4, 8), (5, 7), (5, 8), (7, 8)}
    for setting in ((14, 14, 7, 3), (12, 8, 4, 1), (9, 9, 3, 2)):
        grid = WindowGrid.for_map(*setting)
        for window in range((setting[0] // setting[2]) * (setting[1] // setting[2])):
            assert separated_pairs(grid, window) == brute_force_pairs(*setting, window), (setting, window)


def test_relative_position_figure_shows_the_layers_own_tables():
    attention = random_attention(7)
    figure = plot_relative_position(attention, query=10)
    assert np.array_equal(figure.axes[1].images[0].get_array(), relative_position_index(7).numpy())
    bias = relative_position_bias(attention.relative_position_bias_table, attention.relative_position_index).detach()
    head_axes = [ax for ax in figure.axes if ax.get_title().startswith("head")]
    assert len(head_axes) == 3
    for head, ax in enumerate(head_axes):
        assert np.allclose(ax.images[0].get_array(), bias[head, 10].reshape(7, 7).numpy())
    assert differ(figure, plot_relative_position(attention, query=11))
    assert differ(plot_relative_position(window_size=3), plot_relative_position(window_size=4))
    with pytest.raises(ValueError):
        plot_relative_position(attention, query=49)


def test_relative_position_colour_bars_follow_the_table():
    """The bias panels span +-(largest |bias| of the table) and the bar's numbers sit at their values in it."""
    attention = random_attention(3)
    figure = plot_relative_position(attention, query=4)
    bias = relative_position_bias(attention.relative_position_bias_table, attention.relative_position_index).detach()
    limit = float(bias.abs().max())
    heads = [ax for ax in figure.axes if ax.get_title().startswith("head")]
    assert all(ax.images[0].get_clim() == (-limit, limit) for ax in heads)
    bar = next(ax for ax in figure.axes if ax.get_label() == "<colorbar>" and ax.get_ylabel().startswith("bias"))
    numbers = next(c for c in bar.collections if isinstance(c, PathCollection))
    heights = numbers.get_offsets()[:, 1]  # on the bar: 0 at -limit, 1 at +limit
    assert len(heights) >= 3 and ((0 <= heights) & (heights <= 1)).all()
    assert np.isclose(heights, 0.5).any()  # zero bias sits in the middle
    index_image = figure.axes[1].images[0]
    assert index_image.get_clim() == (0, 24)  # rows of the 5x5 offsets table


def test_receptive_field_figure_shows_the_exact_field(tiny_model):
    figure = plot_receptive_field(3, (5, 9), "swin", tiny_model)
    field = receptive_field((2, 4), 1, 0, tiny_model.config).numpy()  # block 3 = stage 2, block 1
    photo = sample_photo_array(112)
    drawn = np.asarray(figure.axes[0].images[0].get_array())
    inside = np.kron(field, np.ones((4, 4), dtype=bool))  # (112, 112): pixels of patches in the field
    assert np.array_equal(drawn[inside], photo[inside])
    dimmed = np.isclose(drawn[~inside], photo[~inside] * 0.25).all(-1)  # out of reach: dimmed, or a hatch line
    hatch = (drawn[~inside] == 0).all(-1)
    assert (dimmed | hatch).all() and 0.05 < hatch.mean() < 0.4
    assert f"{int(field.sum())} of 784 patches" in figure.axes[0].get_title()
    assert differ(figure, plot_receptive_field(4, (5, 9), "swin", tiny_model))
    assert differ(figure, plot_receptive_field(3, (5, 9), "wmsa", tiny_model))
    assert differ(figure, plot_receptive_field(3, (5, 9), "vit", tiny_model, show_effective=False))
    with pytest.raises(ValueError):
        plot_receptive_field(13, (0, 0), model=tiny_model)


def test_complexity_figure_plots_the_measurements_and_the_formulas():
    sides, channels, window = (8, 16, 24), 16, 4
    figure = plot_complexity(sides, channels, window, num_heads=2)
    measured = measure_attention_layers(sides, channels, window, 2)
    lines = {line.get_label(): line for line in figure.axes[0].lines}
    msa_points = next(line for label, line in lines.items() if label.startswith("global MSA: measured"))
    wmsa_points = next(line for label, line in lines.items() if label.startswith("W-MSA: measured"))
    assert list(msa_points.get_ydata()) == [flops / 2 for flops in measured["flops_msa"]]
    assert list(wmsa_points.get_ydata()) == [flops / 2 for flops in measured["flops_wmsa"]]
    # FLOPs counted by torch, halved, are the paper's formulas exactly
    assert list(msa_points.get_ydata()) == [msa_cost(s, s, channels) for s in sides]
    assert list(wmsa_points.get_ydata()) == [wmsa_cost(s, s, channels, window) for s in sides]
    assert "slope 1.00" in wmsa_points.get_label()
    assert differ(figure, plot_complexity(sides, 32, window, num_heads=2))
    with pytest.raises(ValueError):
        plot_complexity((10, 20), 16, 4)


def test_attention_maps_come_from_the_block(tiny_model):
    image = sample_photo(112)
    placed, window_row = attention_map(tiny_model, image, 0, 0, 0, (3, 4))
    assert window_row.shape == (7, 7) and np.isclose(window_row.sum(), 1.0)
    assert np.isfinite(placed[:7, :7]).all() and np.isnan(placed[7:, :]).all()  # W-MSA: the query's own window
    # a shifted block: the corner token's window also holds the far corners, which get ~0 weight
    placed, _ = attention_map(tiny_model, image, 0, 1, 0, (0, 0))
    assert np.isfinite(placed[-1, -1]) and placed[-1, -1] < 1e-30 and placed[0, 0] > 1e-3
    figure = plot_attention_maps(tiny_model, image, 0, 1, 0, (0, 0))
    assert differ(figure, plot_attention_maps(tiny_model, image, 0, 1, 0, (10, 10)))


def test_receptive_field_outline_sits_on_the_field():
    """The orange outline encloses exactly the patches of the exact field (rows and columns, not flipped)."""
    figure = plot_receptive_field(block_number=2, patch=(20, 17), show_effective=False)
    field = receptive_field((20, 17), 0, 1)
    rows, cols = field.nonzero(as_tuple=True)
    outline = next(
        c for c in figure.axes[0].collections if isinstance(c, LineCollection) and c.get_linestyle() == [(0, None)]
    )
    vertices = np.concatenate(outline.get_segments())
    assert (vertices[:, 1].min(), vertices[:, 1].max()) == (rows.min().item() - 0.5, rows.max().item() + 0.5)
    assert (vertices[:, 0].min(), vertices[:, 0].max()) == (cols.min().item() - 0.5, cols.max().item() + 0.5)
    # every unit edge of the outline has the field on exactly one side
    for (x0, y0), (_, y1) in outline.get_segments():
        if y0 == y1:  # horizontal, between rows y0 - 0.5 and y0 + 0.5
            row, col = int(y0 + 0.5), int(x0 + 0.5)
            sides = [field[r, col].item() if 0 <= r < 56 else False for r in (row - 1, row)]
        else:
            row, col = int(y0 + 0.5), int(x0 + 0.5)
            sides = [field[row, c].item() if 0 <= c < 56 else False for c in (col - 1, col)]
        assert sides[0] != sides[1]


def test_receptive_field_figure_needs_a_model_for_the_gradients():
    with pytest.raises(ValueError, match="model"):
        plot_receptive_field()
