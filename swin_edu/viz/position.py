"""Explorer 4: the relative position bias (paper section 3.2, Eq. 4).

Three views of one attention layer: the (2M-1) x (2M-1) grid of offsets (dy, dx), one row of the bias table
each; the (M*M) x (M*M) index matrix that says which row every (query, key) pair reads; and, for one query
token, the bias it gives every key of its window, per head, read from the layer's own table.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from torch import nn

from swin_edu.attention import WindowAttention
from swin_edu.position import relative_offsets, relative_position_bias
from swin_edu.viz.style import (
    SEQUENTIAL_CMAP,
    SIGNED_CMAP,
    GlyphColorbar,
    GlyphTitle,
    cell_outlines,
    cell_squares,
    glyph_ticks,
    new_figure,
    set_glyph_ticks,
    set_text_glyphs,
    text_glyphs,
)

MAX_HEADS_SHOWN = 6


def random_attention(window_size: int = 7, num_heads: int = 3, seed: int = 0) -> WindowAttention:
    """A fresh attention layer with its bias table drawn as a new model draws it (truncated normal, std 0.02)."""
    attention = WindowAttention(dim=32 * num_heads, window_size=window_size, num_heads=num_heads)
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        table = torch.randn(attention.relative_position_bias_table.shape, generator=generator) * 0.02
        attention.relative_position_bias_table.copy_(table.clamp(-0.04, 0.04))
    return attention


class PositionView:
    """Offsets grid, index matrix and per-head bias of an attention layer with ``heads`` heads shown; one figure
    for every window size and every table: :meth:`update` sets the layer and the query.

    Everything that depends on M (the images, their extents, the tick labels, the colour-bar numbers) is a dynamic
    artist, so that a new M or a new table costs one frame, not a new figure. The colour range of the bias panels
    is the largest bias of the whole table, the same for every query, so that two queries compare by colour.
    """

    def __init__(self, heads: int = 3) -> None:
        self.heads, self.attention = heads, None
        self.figure = figure = new_figure(max(9.0, 2.3 * heads), 7.6)
        grid = figure.add_gridspec(2, max(heads, 2), height_ratios=(1.25, 1))
        figure.subplots_adjust(left=0.06, right=0.9, bottom=0.06, top=0.92, hspace=0.45, wspace=0.45)
        half = max(heads, 2) // 2
        empty = np.zeros((1, 1))

        self.offsets_ax = ax = figure.add_subplot(grid[0, :half])
        self.offsets_image = ax.imshow(empty, cmap=SEQUENTIAL_CMAP, interpolation="nearest")
        self.offset_rows = text_glyphs(ax, np.zeros((0, 2)), [], color="white")  # table rows, small windows only
        self.used = ax.add_collection(cell_outlines(np.zeros((0, 2)), edgecolor="white", linewidth=1.2))
        self.offsets_title = GlyphTitle(ax)
        self.offset_ticks = glyph_ticks(ax, fontsize=9)
        ax.set_xlabel("dx = query col - key col", labelpad=20)
        ax.set_ylabel("dy = query row - key row", labelpad=22)

        self.index_ax = ax = figure.add_subplot(grid[0, half:])
        self.index_image = ax.imshow(empty, cmap=SEQUENTIAL_CMAP, interpolation="nearest")
        self.row_outlines = [
            ax.add_patch(Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor="white", linewidth=2)),
            ax.add_patch(Rectangle((-0.5, -0.5), 1, 1, fill=False, edgecolor="black", linewidth=0.8, linestyle="--")),
        ]
        self.index_bar = GlyphColorbar(ax, SEQUENTIAL_CMAP, "row of the bias table")
        self.index_title = GlyphTitle(ax)
        self.index_ticks = glyph_ticks(ax, fontsize=9)
        ax.set_xlabel("key token", labelpad=20)
        ax.set_ylabel("query token", labelpad=22)

        self.head_axes, self.head_images, self.stars, self.head_ticks = [], [], [], []
        for head in range(heads):
            ax = figure.add_subplot(grid[1, head])
            self.head_axes.append(ax)
            self.head_images.append(ax.imshow(empty, cmap=SIGNED_CMAP, interpolation="nearest"))
            (star,) = ax.plot([], [], marker="*", markersize=12, markerfacecolor="white", markeredgecolor="black")
            self.stars.append(star)
            self.head_ticks.append(glyph_ticks(ax, fontsize=8))
            ax.set_title(f"head {head}: bias to each key", fontsize=9)
            ax.set_xlabel("key col", labelpad=12)
            if head == 0:  # the heads share their rows: numbered on the left only
                ax.set_ylabel("key row", labelpad=12)
        self.bias_bar = GlyphColorbar(self.head_axes, SIGNED_CMAP, "bias (star: the query)", fraction=0.03)
        self.dynamic = [
            self.offsets_image, self.offset_rows, self.used, self.offsets_title.glyphs, *self.offset_ticks,
            self.index_image, *self.row_outlines, self.index_title.glyphs, *self.index_ticks, self.index_bar.glyphs,
            *self.head_images, *self.stars, *(tick for ticks in self.head_ticks for tick in ticks),
            self.bias_bar.glyphs,
        ]  # fmt: skip

    def update(self, attention: nn.Module, query: int) -> None:
        """Show ``attention``'s table (its first ``heads`` heads) for token ``query`` (0 .. M*M - 1, row-major)."""
        window = attention.window_size
        tokens, side = window * window, 2 * window - 1
        if not 0 <= query < tokens:
            raise ValueError(f"query must be a token of the {window}x{window} window, 0 to {tokens - 1}; got {query}")
        if min(attention.num_heads, MAX_HEADS_SHOWN) != self.heads:
            raise ValueError(f"this figure shows {self.heads} heads; the layer has {attention.num_heads}")
        if attention is not self.attention:
            self._show_layer(attention)
        used = relative_offsets(window)[query].numpy()  # (N, 2): the offsets (dy, dx) from each key to this query
        self.used.set_verts(cell_squares(used[:, ::-1]))  # cells at (dx, dy)
        self.offsets_title.set(
            f"{side}x{side} offsets (dy, dx): one table row each\nwhite: the {tokens} used by query {query}"
        )
        for outline in self.row_outlines:
            outline.set_y(query - 0.5)
        self.index_title.set(f"relative_position_index ({tokens}x{tokens})\noutlined: row of query {query}")
        query_row, query_col = divmod(query, window)
        for head, (image, star) in enumerate(zip(self.head_images, self.stars)):
            image.set_data(self.bias[head, query].reshape(window, window))
            star.set_data([query_col], [query_row])

    def _show_layer(self, attention: nn.Module) -> None:
        """Everything that depends on the layer alone: its window size, index matrix and bias table."""
        self.attention = attention
        window = attention.window_size
        tokens, side = window * window, 2 * window - 1
        rows = np.arange(side * side).reshape(side, side)  # row of the table for (dy + M-1, dx + M-1)
        self.offsets_image.set_data(rows)
        self.offsets_image.set_clim(0, side * side - 1)
        extent = (-window + 0.5, window - 0.5, window - 0.5, -window + 0.5)
        self.offsets_image.set_extent(extent)
        self.offsets_ax.set_xlim(*extent[:2])
        self.offsets_ax.set_ylim(*extent[2:])
        small = window <= 4  # small windows: write each offset's table row
        centres = np.indices((side, side)).reshape(2, -1).T[:, ::-1] - (window - 1)  # (x, y) of every cell
        set_text_glyphs(self.offset_rows, centres if small else [], [str(row) for row in rows.flat] if small else [])
        steps = np.arange(0, window, max(1, window // 2))  # 0, 3, 6 for M = 7
        offsets = np.concatenate([-steps[:0:-1], steps])  # symmetric about 0: -6, -3, 0, 3, 6
        names = [str(offset) for offset in offsets]
        set_glyph_ticks(self.offset_ticks, offsets, offsets, names, names)

        self.index_image.set_data(attention.relative_position_index.numpy())
        self.index_image.set_clim(0, side * side - 1)
        self._cells(self.index_ax, self.index_image, tokens, window, self.index_ticks, left=True)
        self.index_bar.set(0, side * side - 1)
        for outline in self.row_outlines:
            outline.set_width(tokens)

        table, index = attention.relative_position_bias_table, attention.relative_position_index
        self.bias = relative_position_bias(table, index).detach().numpy()  # (heads, N, N)
        limit = float(np.abs(self.bias[: self.heads]).max()) or 1.0
        for head, (ax, image, ticks) in enumerate(zip(self.head_axes, self.head_images, self.head_ticks)):
            image.set_clim(-limit, limit)
            self._cells(ax, image, window, max(1, window // 3), ticks, left=head == 0)
        self.bias_bar.set(-limit, limit)

    @staticmethod
    def _cells(ax, image, cells: int, step: int, ticks: tuple, left: bool) -> None:
        """An image of ``cells x cells`` cells filling ``ax``, with tick labels every ``step`` cells."""
        extent = (-0.5, cells - 0.5, cells - 0.5, -0.5)
        image.set_extent(extent)
        ax.set_xlim(*extent[:2])
        ax.set_ylim(*extent[2:])
        places = np.arange(0, cells, step)
        names = [str(place) for place in places]
        set_glyph_ticks(ticks, places, places if left else [], names, names if left else [])


def plot_relative_position(
    attention: nn.Module | None = None, query: int | None = None, window_size: int = 7
) -> Figure:
    """Offsets grid, index matrix (the query's row outlined) and the query's bias per head.

    Args:
        attention: a :class:`WindowAttention` (e.g. ``model.layers[0].blocks[0].attn``); a fresh random one
            with ``window_size`` when None.
        query: a token of the window, 0 .. M*M - 1 (row-major); the centre token when None (24 for M = 7).
    """
    attention = attention or random_attention(window_size)
    view = PositionView(min(attention.num_heads, MAX_HEADS_SHOWN))
    view.update(attention, attention.window_size**2 // 2 if query is None else query)
    return view.figure
