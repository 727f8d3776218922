"""Explorer 2: the cyclic shift (paper Figure 4): roll the map by -s, attend in regular windows, roll back.

Shifting the window grid by s tokens would leave ragged windows at the border. Instead the map itself is
rolled up and left by s (``torch.roll`` by -s): the top s rows and left s columns wrap around to the bottom
and right (regions A, B, C), the regular window grid then frames exactly the shifted windows, and rolling by
+s afterwards puts every token back.

One rule for what can be drawn, the model's (``WindowGrid``): any map, padded at the bottom and right to whole
M x M windows; a shift of 0 to M-1 (a whole window is no shift); no shift along an axis that one window covers.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from swin_edu.viz.style import (
    CATEGORY_COLORS,
    OKABE_ITO,
    GlyphTitle,
    fit_cells,
    glyph_ticks,
    new_figure,
    set_glyph_ticks,
    set_text_glyphs,
    text_glyphs,
)
from swin_edu.windows import WindowGrid, cyclic_shift, reverse_cyclic_shift

# what happens to each token under the roll by -s
WRAP_NAMES: tuple[str, ...] = ("stays in place", "A: top-left corner", "B: top rows", "C: left columns")
WRAP_HATCHES: tuple[str, ...] = ("", "xx", "//", "\\\\")
WRAP_COLORS: tuple[str, ...] = ("#FFFFFF", CATEGORY_COLORS[5], CATEGORY_COLORS[1], CATEGORY_COLORS[0])
MAX_IDS_WRITTEN = 100  # tokens per panel up to which every token shows its number


def check_setting(height: int, width: int, window_size: int, shift: int) -> None:
    """Raise a ValueError that says why a map, window and shift are impossible (the shift and mask explorers' rule)."""
    if height < 1 or width < 1:
        raise ValueError(f"a map needs at least one token in each direction, got {height}x{width}")
    if window_size < 1:
        raise ValueError(f"the window must be at least 1x1 tokens, got M = {window_size}")
    if shift == window_size:
        raise ValueError(
            f"shifting by a whole window (s = M = {window_size}) is no shift: the windows hold the same tokens; "
            f"s goes from 0 to {window_size - 1}"
        )
    if not 0 <= shift < window_size:
        raise ValueError(
            f"the shift must be 0 to {window_size - 1} (less than the window M = {window_size}), got {shift}"
        )


def wrap_regions(height: int, width: int, shift: tuple[int, int]) -> torch.Tensor:
    """For every token of the unshifted map, which part wraps under the roll: 0 none, 1 A, 2 B, 3 C. ``(H, W)``."""
    rows = torch.arange(height)[:, None] < shift[0]  # (H, 1): rolls from the top to the bottom
    cols = torch.arange(width)[None, :] < shift[1]  # (1, W): rolls from the left to the right
    return (rows & cols) * 1 + (rows & ~cols) * 2 + (~rows & cols) * 3


def shift_stages(height: int, width: int, shift: int | tuple[int, int]) -> dict[str, torch.Tensor]:
    """Token ids ``(H, W)`` before, after ``cyclic_shift`` and after ``reverse_cyclic_shift``."""
    ids = torch.arange(height * width).reshape(1, height, width, 1)  # (1, H, W, 1): the token numbers, row-major
    shifted = cyclic_shift(ids, shift)
    restored = reverse_cyclic_shift(shifted, shift)
    return {"before": ids[0, ..., 0], "shifted": shifted[0, ..., 0], "restored": restored[0, ..., 0]}


def padding_map(grid: WindowGrid, roll: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Which tokens of the padded map are padding, after rolling it by ``-roll``: bool ``(Hp, Wp)``."""
    padded = np.zeros((grid.padded_height, grid.padded_width), dtype=bool)
    padded[grid.height :, :] = padded[:, grid.width :] = True
    return np.roll(padded, (-roll[0], -roll[1]), axis=(0, 1))


def padding_bands(padded: np.ndarray) -> list[tuple[float, float, float, float]]:
    """The padded cells of an ``(H, W)`` map (full rows and full columns) as rectangles ``(x, y, w, h)`` on its
    ``imshow``. Rolling never splits a band: the map is longer than the shift."""
    height, width = padded.shape
    bands = []
    rows, cols = np.flatnonzero(padded.all(1)), np.flatnonzero(padded.all(0))
    if len(rows):
        bands.append((-0.5, rows.min() - 0.5, width, len(rows)))
    if len(cols):
        bands.append((cols.min() - 0.5, -0.5, len(cols), height))
    return bands


def grid_segments(step: int, height: int, width: int, offset: tuple[int, int] = (0, 0)) -> list[np.ndarray]:
    """Window boundaries every ``step`` cells (moved in by ``offset``) on an ``imshow`` of ``height x width`` cells."""
    rows = np.arange(offset[0] % step, height + 1e-9, step) - 0.5
    cols = np.arange(offset[1] % step, width + 1e-9, step) - 0.5
    return [np.array([(-0.5, y), (width - 0.5, y)]) for y in rows] + [
        np.array([(x, -0.5), (x, height - 0.5)]) for x in cols
    ]


class ShiftView:
    """The three panels; :meth:`update` sets the map, the window, the shift and the roll step (one figure for all:
    the ticks are glyphs and the limits follow the map)."""

    def __init__(self) -> None:
        self.figure = figure = new_figure(12.0, 4.8)
        self.axes = figure.subplots(1, 3, sharey=True)  # the same rows: numbered on the left panel only
        figure.subplots_adjust(left=0.04, right=0.99, bottom=0.2, top=0.86, wspace=0.12)
        self.panels = [_TokenPanel(ax, numbered_rows=ax is self.axes[0]) for ax in self.axes]
        self.shifted_grid = self.axes[0].add_collection(
            LineCollection([], colors=OKABE_ITO["blue"], linewidths=2.2, linestyles="--", zorder=4)
        )
        self.axes[0].set_ylabel("row (token)", labelpad=16)
        legend = [
            Patch(facecolor=c, edgecolor="black", hatch=h, label=n)
            for c, h, n in zip(WRAP_COLORS, WRAP_HATCHES, WRAP_NAMES)
        ]
        legend.append(Patch(facecolor="#DDDDDD", edgecolor="black", hatch="..", label="padding"))
        figure.legend(handles=legend, loc="lower center", ncol=5, fontsize=9, frameon=False)
        self.dynamic = [self.shifted_grid] + [artist for panel in self.panels for artist in panel.dynamic]

    def update(self, height: int, width: int, window_size: int, shift: int, roll: int | None = None) -> WindowGrid:
        """Draw the map rolled by ``-roll`` tokens (0 to the shift; the whole shift when None); returns the grid."""
        check_setting(height, width, window_size, shift)
        grid = WindowGrid.for_map(height, width, window_size, shift)
        padded = grid.padded_height, grid.padded_width
        step = tuple(min(roll, s) for s in grid.shift) if roll is not None else grid.shift
        stages = shift_stages(*padded, step)
        origin = wrap_regions(*padded, step).flatten().numpy()  # region of each token id
        padding = padding_map(grid).flatten()  # (Hp*Wp,) by token id
        rolled, shift_name = _amount(step), _amount(grid.shift)
        progress = "frame the shifted ones" if step == grid.shift else f"(step {max(step)} of {max(grid.shift)})"
        restored = torch.equal(stages["restored"], stages["before"])
        titles = (
            f"Before: the shifted windows (dashed)\nstart {shift_name} tokens in from the top left",
            f"After torch.roll by -{rolled}: regular {window_size}x{window_size} windows\n{progress}",
            f"After torch.roll by +{rolled}: every token is back\n(identical to the input: {restored})",
        )
        for panel, key, title in zip(self.panels, ("before", "shifted", "restored"), titles):
            ids = stages[key].numpy()
            panel.update(ids, origin[ids], padding[ids], window_size, key != "restored", title)
        self.shifted_grid.set_segments(grid_segments(window_size, *padded, grid.shift) if grid.is_shifted else [])
        return grid


def _amount(shift: tuple[int, int]) -> str:
    """``(2, 2)`` -> "2"; ``(2, 0)`` -> "(2, 0)" (no shift along an axis that one window covers)."""
    return str(shift[0]) if shift[0] == shift[1] else str(shift)


class _TokenPanel:
    """One panel of tokens: wrapped regions coloured, hatched and lettered, padding hatched, numbers written."""

    def __init__(self, ax: Axes, numbered_rows: bool) -> None:
        self.ax, self.numbered_rows = ax, numbered_rows
        ax.set_aspect("auto")  # the box stays; ``fit_cells`` keeps the cells square
        self.regions = [
            ax.add_patch(
                Rectangle((0, 0), 0, 0, facecolor=WRAP_COLORS[r], edgecolor="black", hatch=WRAP_HATCHES[r], alpha=0.9)
            )
            for r in (1, 2, 3)
        ]
        self.padding = [
            ax.add_patch(Rectangle((0, 0), 0, 0, facecolor="#DDDDDD", edgecolor="black", hatch="..", zorder=2))
            for _ in range(2)
        ]
        self.letter_marks = ax.scatter([], [], s=200, marker="s", c="white", edgecolors="black", zorder=4)
        self.letters = text_glyphs(ax, np.zeros((0, 2)), [], fontsize=11)
        self.letters.set_zorder(5)
        self.ids = text_glyphs(ax, np.zeros((0, 2)), [], fontsize=8)
        self.grid = ax.add_collection(LineCollection([], colors="black", linewidths=2.2, zorder=4))
        self.title = GlyphTitle(ax)
        self.ticks = glyph_ticks(ax, fontsize=9)
        ax.set_xlabel("column (token)", labelpad=14)
        self.dynamic = [
            *self.regions,
            *self.padding,
            self.grid,
            self.letter_marks,
            self.letters,
            self.ids,
            self.title.glyphs,
            *self.ticks,
        ]

    def update(
        self, ids: np.ndarray, regions: np.ndarray, padded: np.ndarray, window_size: int, write_ids: bool, title: str
    ) -> None:
        """``ids``, ``regions``, ``padded``: ``(H, W)`` token numbers, wrap regions (0-3), padding flags as laid out."""
        height, width = ids.shape
        fit_cells(self.ax, height, width)
        step = max(1, (max(height, width) + 7) // 8)
        cols, rows = np.arange(0, width, step), np.arange(0, height, step)
        if not self.numbered_rows:
            rows = rows[:0]  # the panels share their rows: numbered on the left only
        set_glyph_ticks(self.ticks, cols, rows, [str(c) for c in cols], [str(r) for r in rows])
        letters, places = [], []
        for region, patch in zip((1, 2, 3), self.regions):
            cells = np.argwhere(regions == region)  # (n, 2): row, col; a rectangle before and after the roll
            patch.set_visible(len(cells) > 0)
            if len(cells):
                (top, left), (bottom, right) = cells.min(0), cells.max(0)
                patch.set_bounds(left - 0.5, top - 0.5, right - left + 1, bottom - top + 1)
                letters.append("ABC"[region - 1])
                places.append(((left + right) / 2, (top + bottom) / 2))
        self.letter_marks.set_offsets(np.array(places).reshape(-1, 2))
        set_text_glyphs(self.letters, places, letters)
        bands = padding_bands(padded)
        for patch, band in zip(self.padding, bands + [None] * (2 - len(bands))):
            patch.set_visible(band is not None)
            if band is not None:
                patch.set_bounds(*band)
        shown = write_ids and height * width <= MAX_IDS_WRITTEN
        rows, cols = np.indices((height, width))
        cells = np.column_stack([cols.ravel(), rows.ravel()])  # (H*W, 2): x, y of each cell
        set_text_glyphs(self.ids, cells if shown else [], [str(i) for i in ids.flat] if shown else [])
        self.grid.set_segments(grid_segments(window_size, height, width))
        self.title.set(title)


def plot_shift(
    height: int = 8, width: int = 8, window_size: int = 4, shift: int | None = None, roll: int | None = None
) -> Figure:
    """Three panels: the map with the shifted windows dashed, the rolled map with regular windows, the map rolled back.

    Tokens show their number (maps of up to 100 tokens, before and after the roll); the parts that wrap carry a
    colour, a hatch and a letter. ``roll`` (0 to s) draws a step of the roll; the whole shift when None.
    """
    shift = window_size // 2 if shift is None else shift
    view = ShiftView()
    view.update(height, width, window_size, shift, roll)
    return view.figure
