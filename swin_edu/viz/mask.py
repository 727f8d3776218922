"""Explorer 3: the attention mask of shifted windows (the official code's mask demo: 14x14, window 7, shift 3).

After the cyclic shift a window can hold tokens from up to four regions that were not neighbours in the image.
``region_labels`` numbers the nine regions of the shifted map; ``shifted_window_mask`` puts -100 on every
(query, key) pair of a window whose labels differ, so softmax gives those pairs ~0 weight.

A map that is not a whole number of windows is padded at the bottom and right first, as the model pads it
(``WindowGrid``): the padding is drawn hatched, and its tokens take part in the mask like any other.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from swin_edu.viz.shift import check_setting, grid_segments, padding_bands, padding_map
from swin_edu.viz.style import (
    CATEGORY_CMAP,
    GlyphTitle,
    fit_cells,
    glyph_ticks,
    new_figure,
    set_glyph_ticks,
    set_text_glyphs,
    text_glyphs,
)
from swin_edu.windows import WindowGrid, cached_shift_mask, region_labels, window_partition

MASK_CMAP = "cividis"  # -100 dark blue, 0 light yellow: they differ in lightness, not only in hue
PANELS = 4  # masks shown at once: the four windows around the selected one


def window_token_labels(grid: WindowGrid) -> torch.Tensor:
    """The region label of every token of every window, in token order: long ``(nW, M*M)``."""
    labels = region_labels(grid.padded_height, grid.padded_width, grid.window_size, grid.shift)  # (Hp, Wp)
    return window_partition(labels[None, :, :, None], grid.window_size).flatten(1).long()  # (nW, M*M)


def window_masks(grid: WindowGrid) -> torch.Tensor:
    """The mask the model adds in every window: ``(nW, M*M, M*M)``, zeros when the block does not shift."""
    return cached_shift_mask(
        grid.padded_height, grid.padded_width, grid.window_size, grid.shift, torch.device("cpu"), torch.float32
    )


def separated_pairs(grid: WindowGrid, window: int) -> list[tuple[int, int, int]]:
    """The pairs of regions that the -100 entries of one window's mask keep apart, with how many entries each.

    Returns:
        ``[(region_a, region_b, entries), ...]`` with ``region_a < region_b``; entries counts both (a, b) and (b, a).
    """
    blocked = window_masks(grid)[window].numpy() == -100.0  # (N, N)
    labels = window_token_labels(grid)[window].numpy()  # (N,)
    queries, keys = np.nonzero(blocked)
    low, high = np.minimum(labels[queries], labels[keys]), np.maximum(labels[queries], labels[keys])
    counts = np.bincount(low * 9 + high, minlength=81)  # nine regions: pair (a, b) -> 9a + b
    return [(int(code) // 9, int(code) % 9, int(counts[code])) for code in np.flatnonzero(counts)]


def describe_entry(grid: WindowGrid, window: int, query: int, key: int) -> str:
    """One sentence about ``mask[window, query, key]``: its value and the regions of the two tokens."""
    value = float(window_masks(grid)[window, query, key])
    labels = window_token_labels(grid)[window]
    side = grid.window_size
    first, second = (f"token {t} (row {t // side}, col {t % side})" for t in (query, key))
    a, b = int(labels[query]), int(labels[key])
    entry = f"mask[{window}, {query}, {key}]"
    if value == 0.0:
        return f"{entry} = 0: {first} and {second} are both in region {a}, they may attend"
    return f"{entry} = {value:g}: it separates region {a} ({first}) from region {b} ({second})"


def shown_windows(windows_total: int, selected: int) -> range:
    """The (up to) four consecutive windows drawn: the group of four that holds ``selected``, kept inside the map."""
    first = min(selected // PANELS * PANELS, max(windows_total - PANELS, 0))
    return range(first, min(first + PANELS, windows_total))


class MaskView:
    """The mask figure for one layout (padded map, window M); :meth:`update` sets everything else.

    Panels: the region labels of the shifted (padded) map, and the masks of four consecutive windows. Only
    ``dynamic`` artists change between updates; axes, window grid and colour bar stay.
    """

    def __init__(self, panels: int = PANELS) -> None:
        self.figure = figure = new_figure(3.0 * (1 + panels), 3.9)
        axes = figure.subplots(1, 1 + panels, squeeze=False)[0]
        figure.subplots_adjust(left=0.05, right=0.98, bottom=0.14, top=0.8, wspace=0.32)
        self.labels_ax, self.mask_axes = axes[0], list(axes[1:])

        ax = self.labels_ax
        self.labels_image = ax.imshow(
            np.zeros((1, 1)), cmap=CATEGORY_CMAP, vmin=-0.5, vmax=8.5, interpolation="nearest"
        )
        ax.set_aspect("auto")  # the box stays and the limits follow the map (square cells: ``fit_cells``)
        self.window_grid = ax.add_collection(LineCollection([], colors="black", linewidths=2))
        self.region_marks = ax.scatter([], [], s=110, c="white", edgecolors="black", linewidths=0.8, zorder=3)
        self.region_names = text_glyphs(ax, np.zeros((0, 2)), [], fontsize=8)
        self.region_names.set_zorder(4)
        self.padding = [ax.add_patch(_padding_patch()) for _ in range(2)]  # a band of rows, a band of columns
        self.outline = ax.add_patch(
            Rectangle((0, 0), 1, 1, fill=False, edgecolor="white", linewidth=3, linestyle="--", zorder=5)
        )
        self.labels_title = GlyphTitle(ax)
        self.label_ticks = glyph_ticks(ax, fontsize=9)  # at every window boundary, which moves with M
        ax.set_xlabel("column (token)", labelpad=14)
        ax.set_ylabel("row (token)", labelpad=16)

        self.mask_images, self.mask_titles, self.markers, self.frames, self.ticks = [], [], [], [], []
        for ax in self.mask_axes:
            image = ax.imshow(np.zeros((1, 1)), cmap=MASK_CMAP, vmin=-100, vmax=0, interpolation="nearest")
            self.mask_images.append(image)
            self.mask_titles.append(GlyphTitle(ax))
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlabel("key token (its region)", labelpad=10)
            ax.set_ylabel("query token (its region)", labelpad=10)
            self.ticks.append(glyph_ticks(ax, fontsize=7))
            (white,) = ax.plot(
                [], [], marker="o", markersize=9, markerfacecolor="none", markeredgecolor="white", markeredgewidth=2.5
            )
            (black,) = ax.plot(
                [], [], marker="o", markersize=9, markerfacecolor="none", markeredgecolor="black", markeredgewidth=1
            )
            self.markers.append((white, black))
            frame = Rectangle((0, 0), 1, 1, transform=ax.transAxes, fill=False, linewidth=3, clip_on=False, zorder=6)
            self.frames.append(ax.add_patch(frame))
        colorbar = figure.colorbar(
            self.mask_images[0], ax=self.mask_axes, orientation="horizontal", fraction=0.04, pad=0.2, aspect=40
        )
        colorbar.set_ticks([-100, 0], labels=["-100: blocked (dark)", "0: may attend (light)"])
        self.dynamic = [
            self.labels_image, self.window_grid, *self.label_ticks, self.region_marks, self.region_names,
            *self.padding, self.outline,
            self.labels_title.glyphs, *self.mask_images, *(title.glyphs for title in self.mask_titles),
            *(m for pair in self.markers for m in pair), *self.frames, *(t for pair in self.ticks for t in pair),
        ]  # fmt: skip

    def update(
        self,
        height: int,
        width: int,
        window_size: int,
        shift: int,
        window: int = 0,
        query: int | None = None,
        key: int | None = None,
    ) -> None:
        """Show the ``height x width`` map (padded to whole windows, as the model pads it) with window M and shift
        s; outline ``window`` and mark entry (``query``, ``key``) of its mask when given."""
        check_setting(height, width, window_size, shift)
        side = window_size
        grid = WindowGrid.for_map(height, width, side, shift)
        padded_height, padded_width = grid.padded_height, grid.padded_width
        if min(PANELS, (padded_height // side) * (padded_width // side)) != len(self.mask_axes):
            raise ValueError(
                f"this figure has {len(self.mask_axes)} mask panels, not what {height}x{width}, M = {side} needs"
            )
        self.labels_image.set_extent((-0.5, padded_width - 0.5, padded_height - 0.5, -0.5))
        fit_cells(self.labels_ax, padded_height, padded_width)
        self.window_grid.set_segments(grid_segments(side, padded_height, padded_width))
        rows, cols = np.arange(0, padded_height, side), np.arange(0, padded_width, side)
        set_glyph_ticks(self.label_ticks, cols, rows, [str(c) for c in cols], [str(r) for r in rows])
        labels = region_labels(padded_height, padded_width, side, grid.shift).numpy()  # (Hp, Wp)
        masks, token_labels = window_masks(grid), window_token_labels(grid)  # (nW, N, N), (nW, N)
        windows_total = masks.shape[0]
        if not 0 <= window < windows_total:
            raise ValueError(f"there are {windows_total} windows (0 to {windows_total - 1}), not window {window}")
        for name, token in (("query", query), ("key", key)):
            if token is not None and not 0 <= token < side * side:
                raise ValueError(f"a window holds {side * side} tokens (0 to {side * side - 1}); {name} is {token}")

        self.labels_image.set_data(labels)
        regions = np.unique(labels)
        offsets = np.array([np.argwhere(labels == r).mean(0)[::-1] for r in regions])  # (regions, 2): x, y centres
        self.region_marks.set_offsets(offsets)
        set_text_glyphs(self.region_names, offsets, [str(int(r)) for r in regions])
        bands = padding_bands(padding_map(grid, grid.shift))
        for patch, band in zip(self.padding, bands + [None] * (2 - len(bands))):
            patch.set_visible(band is not None)
            if band is not None:
                patch.set_bounds(*band)
        row, col = divmod(window, padded_width // side)
        self.outline.set_bounds(col * side - 0.5, row * side - 0.5, side, side)
        shift_note = f"shift {grid.shift[0]}" if grid.shift[0] == grid.shift[1] else f"shift {grid.shift}"
        padded = (
            f", padded to {padded_height}x{padded_width}" if (height, width) != (padded_height, padded_width) else ""
        )
        self.labels_title.set(f"Regions after the shift ({shift_note})\n{height}x{width}{padded}, window M = {side}")

        tokens = side * side
        for index, number in enumerate(shown_windows(windows_total, window)):
            mask = masks[number].numpy()
            self.mask_images[index].set_data(mask)
            self.mask_images[index].set_extent((-0.5, tokens - 0.5, tokens - 0.5, -0.5))
            self.mask_axes[index].set_xlim(-0.5, tokens - 0.5)
            self.mask_axes[index].set_ylim(tokens - 0.5, -0.5)
            blocked = int((mask == -100).sum())
            self.mask_titles[index].set(f"Mask of window {number}\n{blocked} of {mask.size} entries are -100")
            centres, names = _region_runs(token_labels[number].tolist())
            set_glyph_ticks(self.ticks[index], centres, centres, names, names)
            chosen = number == window
            self.frames[index].set_visible(chosen)
            for marker in self.markers[index]:
                marker.set_data(
                    [key], [query]
                ) if chosen and query is not None and key is not None else marker.set_data([], [])


def _padding_patch() -> Rectangle:
    return Rectangle(
        (0, 0), 0, 0, facecolor="#DDDDDD", edgecolor="black", hatch="//", alpha=0.9, zorder=2, label="padding"
    )


def _region_runs(labels: list[int]) -> tuple[list[float], list[str]]:
    """The centre and region label of each run of tokens that share a region (the ticks of a mask panel)."""
    starts = [0] + [i for i in range(1, len(labels)) if labels[i] != labels[i - 1]]
    ends = starts[1:] + [len(labels)]
    return [(start + end - 1) / 2 for start, end in zip(starts, ends)], [str(labels[start]) for start in starts]


def mask_layout(height: int, width: int, window_size: int, shift: int = 0) -> int:
    """What a :class:`MaskView` is built for: how many mask panels (four, or fewer windows); a ValueError if the
    setting is impossible."""
    check_setting(height, width, window_size, shift)
    grid = WindowGrid.for_map(height, width, window_size, shift)
    return min(PANELS, (grid.padded_height // window_size) * (grid.padded_width // window_size))


def plot_mask(
    height: int = 14,
    width: int = 14,
    window_size: int = 7,
    shift: int = 3,
    selected: int = 0,
    query: int | None = None,
    key: int | None = None,
) -> Figure:
    """The region labels of the shifted map and the masks of four windows around ``selected`` (outlined in both);
    ``query``/``key`` mark one entry of its mask. A map that is not a whole number of windows is padded."""
    view = MaskView(mask_layout(height, width, window_size, shift))
    view.update(height, width, window_size, shift, selected, query, key)
    return view.figure
