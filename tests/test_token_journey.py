"""One token's journey: the steps against hand-worked cases and a brute force, the figure against the steps.

The brute force follows the model's own recipe with nothing but torch: number the tokens, pad, ``torch.roll``,
cut the map into windows by slicing, and read the official-style mask (labels of the rolled map compared in
each window) to find what the token may attend to.
"""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from matplotlib.figure import Figure
from PIL import Image

from swin_edu.model import SwinConfig
from swin_edu.receptive_field import receptive_field
from swin_edu.token_journey import journey_steps
from swin_edu.viz import figure_pixels
from swin_edu.viz.token_journey import TokenJourneyFigure, plot_token_journey

SWIN_T = SwinConfig()
SMALL = SwinConfig(img_size=112)  # stage maps 28, 14, 7, 4: the last is padded to 7 and not shifted
CAT_EYE = (82, 70)  # pixel -> patch (20, 17)


def differ(first: Figure, second: Figure) -> bool:
    a, b = figure_pixels(first), figure_pixels(second)
    return a.shape != b.shape or not np.array_equal(a, b)


def brute_force_block(token: tuple[int, int], size: tuple[int, int], window: int, shift: int):
    """(window index, set of (row, col) it may attend to) for a token in a block, by rolling numbered tokens.

    The shift is dropped along an axis that one window covers (as the model does); regions are the official
    code's slices: rows [0, Hp-M), [Hp-M, Hp-s), [Hp-s, Hp) after the roll, and the same for columns.
    """
    height, width = size
    padded = (-(-height // window) * window, -(-width // window) * window)
    shifts = tuple(shift if side > window else 0 for side in padded)
    ids = torch.full(padded, -1)
    ids[:height, :width] = torch.arange(height * width).reshape(height, width)
    rolled = torch.roll(ids, shifts=(-shifts[0], -shifts[1]), dims=(0, 1))
    regions = torch.zeros(padded, dtype=torch.long)
    for axis, (side, s) in enumerate(zip(padded, shifts)):
        band = torch.zeros(side, dtype=torch.long)
        if s:
            band[side - window : side - s], band[side - s :] = 1, 2
        regions += band[:, None] * 3 if axis == 0 else band[None, :]
    where = (rolled == token[0] * width + token[1]).nonzero()[0].tolist()
    top, left = where[0] // window * window, where[1] // window * window
    index = (where[0] // window) * (padded[1] // window) + where[1] // window
    cut_ids = rolled[top : top + window, left : left + window]
    same_region = regions[top : top + window, left : left + window] == regions[where[0], where[1]]
    seen = {divmod(int(i), width) for i in cut_ids[same_region & (cut_ids >= 0)]}
    return index, seen


def test_the_cat_eye_windows_by_hand():
    steps = journey_steps(CAT_EYE, SWIN_T)
    assert [step.name for step in steps] == (
        ["patch", "1.1", "1.2", "M2", "2.1", "2.2", "M3"]
        + [f"3.{b}" for b in range(1, 7)]
        + ["M4", "4.1", "4.2", "pool"]
    )
    blocks = [step for step in steps if step.kind == "block"]
    # patch (20, 17); stage 2 token (10, 8), stage 3 (5, 4), stage 4 (2, 2). Windows of 7 in row-major order:
    # 1.1: (20//7)*8 + 17//7 = 18; 1.2 rolled by 3: (17, 14) -> 18; 2.1: 1*4 + 1 = 5; 2.2: (7, 5) -> 4;
    # stage 3 (2x2 windows): (5, 4) -> 0, rolled (2, 1) -> 0; stage 4 is one window, never shifted.
    assert [step.window for step in blocks] == [18, 18, 5, 4] + [0] * 8
    assert [step.token for step in blocks] == [(20, 17)] * 2 + [(10, 8)] * 2 + [(5, 4)] * 6 + [(2, 2)] * 2
    assert blocks[1].rolled_token == (17, 14) and blocks[3].rolled_token == (7, 5)
    assert [step.shift for step in blocks] == [(0, 0), (3, 3)] * 5 + [(0, 0), (0, 0)]
    assert steps[0].field.sum() == 1 and steps[0].field[20, 17]
    window_1_1 = np.zeros((56, 56), dtype=bool)
    window_1_1[14:21, 14:21] = True  # the 7x7 patches of window 18 after the first block
    assert np.array_equal(steps[1].field, window_1_1)
    assert steps[-1].field.all() and steps[-1].attends.all()  # pooling averages every token


@pytest.mark.parametrize(
    "config, pixel",
    [
        (SWIN_T, CAT_EYE),
        (SWIN_T, (222, 5)),
        (SWIN_T, (0, 223)),
        (SWIN_T, (117, 201)),
        (SMALL, (111, 111)),
        (SMALL, (60, 3)),
    ],
)
def test_windows_and_masks_match_a_brute_force(config: SwinConfig, pixel: tuple[int, int]):
    sizes = config.stage_sizes()
    for step in journey_steps(pixel, config):
        if step.kind != "block":
            continue
        shift = config.window_size // 2 if step.block % 2 else 0
        index, seen = brute_force_block(step.token, sizes[step.stage], config.window_size, shift)
        assert step.window == index, step.describe()
        assert {tuple(cell) for cell in np.argwhere(step.attends)} == seen, step.describe()
        assert np.array_equal(step.field, receptive_field(step.token, step.stage, step.block, config).numpy())


def test_patch_merging_and_growing_fields():
    steps = journey_steps(CAT_EYE, SWIN_T)
    merges = [step for step in steps if step.kind == "merge"]
    assert [(step.stage, step.token, step.rolled_token) for step in merges] == [
        (1, (10, 8), (20, 17)), (2, (5, 4), (10, 8)), (3, (2, 2), (5, 4)),
    ]  # fmt: skip
    for step in merges:  # the 2x2 group of the previous map: rows 2r, 2r+1 and columns 2c, 2c+1
        row, col = step.token
        assert {tuple(cell) for cell in np.argwhere(step.attends)} == {
            (2 * row, 2 * col), (2 * row + 1, 2 * col), (2 * row, 2 * col + 1), (2 * row + 1, 2 * col + 1),
        }  # fmt: skip
        # the merged token sees what its four sources saw after the last block of the previous stage
        depth = SWIN_T.depths[step.stage - 1]
        sources = [
            receptive_field(tuple(cell), step.stage - 1, depth - 1, SWIN_T) for cell in np.argwhere(step.attends)
        ]
        assert np.array_equal(step.field, torch.stack(sources).any(0).numpy())
    counts = [int(step.field.sum()) for step in steps]
    assert counts == sorted(counts) and counts[0] == 1 and counts[-1] == 56 * 56  # a field never shrinks
    # on the padded last stage of a 112 image (4x4 tokens padded to 7x7, one window, so no shift)
    last = [step for step in journey_steps((111, 111), SMALL) if step.kind == "block"][-1]
    assert last.padded_size == (7, 7) and last.shift == (0, 0) and last.token == (3, 3)
    assert last.window_cells(7).sum() == 16 and last.attends.shape == (4, 4) and last.attends.all()


def test_the_figure_draws_the_steps():
    figure_steps = journey_steps(CAT_EYE, SWIN_T)
    view = TokenJourneyFigure()
    view.show(CAT_EYE, 2)  # stage 1 block 2: rolled by 3
    now = figure_steps[2]
    assert "stage 1, block 2 (SW-MSA, rolled by (-3, -3))" in view.title.get_text()
    assert "window 18" in view.map_ax.get_title() and "rows 7-27, cols 7-27" in view.map_ax.get_title()
    assert tuple(view.token_marker.get_xydata()[0]) == (14, 17)  # (x, y) = (col, row) of the rolled token
    rolled_by_hand = {((r - 3) % 56, (c - 3) % 56) for r, c in np.argwhere(now.attends)}
    drawn = {(int(y), int(x)) for x, y in view.open_marks.get_xydata()}
    assert drawn == rolled_by_hand
    blocked = {(int(y), int(x)) for x, y in view.blocked_marks.get_xydata()}
    assert len(blocked) + len(drawn) == 49 and not blocked & drawn  # the rest of its 7x7 window
    assert np.array_equal(view.growth_line.get_ydata(), [step.field.sum() for step in figure_steps])
    assert tuple(view.growth_now.get_xydata()[0]) == (2, now.field.sum())
    assert np.array_equal(view.dim.get_array()[..., 3] > 0, ~now.field)  # dimmed exactly outside the field
    # its rolled window (rows and columns 14-20) holds tokens 17-23 of the map: 4 px each, x and y from 68 px
    assert view.seen.get_bbox().bounds == (17 * 4 - 0.5, 17 * 4 - 0.5, 7 * 4, 7 * 4)
    titles = [ax.get_title() for ax in (view.photo_ax, view.map_ax, view.growth_ax)]
    assert all(titles), titles


def test_the_figure_changes_with_each_control_and_updates_in_place():
    reference = plot_token_journey(CAT_EYE, 2)
    assert differ(reference, plot_token_journey(CAT_EYE, 3))
    assert differ(reference, plot_token_journey((150, 30), 2))
    view = TokenJourneyFigure()
    for pixel, step in [((150, 30), 16), ((0, 0), 0), ((222, 5), 5), (CAT_EYE, 3), (CAT_EYE, 2)]:
        view.show(pixel, step)
    # moved in place through other pixels and steps, it draws what a new figure draws
    assert not differ(view.figure, reference)


def test_bad_settings_say_what_was_expected():
    with pytest.raises(ValueError, match=r"pixel \(224, 3\) is outside the 224x224 image"):
        journey_steps((224, 3))
    with pytest.raises(ValueError, match="step must be 0 to 16"):
        plot_token_journey(CAT_EYE, 17)


def test_explorer_controls_play_and_blitted_frames():
    from swin_edu.widgets import token_journey_explorer

    explorer = token_journey_explorer()
    assert [control.description for control in explorer.controls.values()] == [
        "pixel row", "pixel column", "step (0 = patch)",
    ]  # fmt: skip
    assert explorer.play in explorer.children[0].children and explorer.play.tooltip == "play the journey"
    assert explorer.play_link.source == (explorer.play, "value")
    assert explorer.play_link.target == (explorer.controls["step"], "value")
    assert (explorer.play.min, explorer.play.max) == (0, explorer.controls["step"].max) == (0, 16)
    # pixel (214, 210): token (53, 52); rolled by 3 it sits at (50, 49), window 7 * 8 + 7 = 63, in the 4x4 region
    # rows and columns [49, 53) of the rolled map: 16 tokens open, 33 blocked; its field stays one 7x7 window
    assert "window 63" in explorer.readout.value and "<b>16</b> of the 49" in explorer.readout.value
    assert "<b>33</b> are blocked" in explorer.readout.value and "<b>49</b> of 3136" in explorer.readout.value
    for name, value in [("step", 5), ("row", 200), ("col", 3)]:
        before = (explorer.image.value, explorer.readout.value)
        explorer.controls[name].value = value
        assert explorer.image.value != before[0] and explorer.readout.value != before[1], name
    # the frame drawn by blitting (before its JPEG encoding) is the figure a fresh drawing makes, at the same size
    assert explorer.image.format == "jpeg" and Image.open(io.BytesIO(explorer.image.value)).format == "JPEG"
    shown = np.asarray(explorer.figure.canvas.buffer_rgba())[..., :3]
    fresh = plot_token_journey((200, 3), 5)
    fresh.set_dpi(explorer.figure.dpi)
    assert np.array_equal(shown, figure_pixels(fresh)[..., :3])


def test_every_step_passes_the_accessibility_checks():
    from test_explorer_accessibility import told_by_colour_alone, untitled  # tests/ is on sys.path

    view = TokenJourneyFigure()
    for step in range(17):  # patch, W-MSA and SW-MSA blocks, merging, pooling: each shows other artists
        view.show((214, 210), step)
        assert not untitled(view.figure) and not told_by_colour_alone(view.figure), step
