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
    GlyphTitle,
    cell_outlines,
    cell_squares,
    cell_ticks,
    label_cells,
    new_figure,
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
    """Offsets grid, index matrix and per-head bias of one attention layer; :meth:`update` picks the query.

    The colour range of the bias panels is the largest bias of the whole table, the same for every query, so
    that two queries compare by colour.
    """

    def __init__(self, attention: nn.Module) -> None:
        self.attention = attention
        window = attention.window_size
        tokens, side = window * window, 2 * window - 1
        heads = min(attention.num_heads, MAX_HEADS_SHOWN)
        self.figure = figure = new_figure(max(9.0, 2.3 * heads), 7.6)
        grid = figure.add_gridspec(2, max(heads, 2), height_ratios=(1.25, 1))
        figure.subplots_adjust(left=0.06, right=0.9, bottom=0.06, top=0.92, hspace=0.45, wspace=0.45)
        half = max(heads, 2) // 2

        offsets_ax = figure.add_subplot(grid[0, :half])
        rows = torch.arange(side * side).reshape(side, side)  # row of the table for (dy + M-1, dx + M-1)
        extent = (-window + 0.5, window - 0.5, window - 0.5, -window + 0.5)
        offsets_ax.imshow(rows.numpy(), cmap=SEQUENTIAL_CMAP, extent=extent)
        if window <= 4:  # small windows: write each offset's table row
            label_cells(offsets_ax, rows.numpy(), color="white", first=1 - window)
        self.used = offsets_ax.add_collection(cell_outlines(np.zeros((0, 2)), edgecolor="white", linewidth=1.2))
        self.offsets_title = GlyphTitle(offsets_ax)
        steps = np.arange(0, window, max(1, window // 2))  # 0, 3, 6 for M = 7
        offset_ticks = np.concatenate([-steps[:0:-1], steps])  # symmetric about 0: -6, -3, 0, 3, 6
        offsets_ax.set_xticks(offset_ticks)
        offsets_ax.set_yticks(offset_ticks)
        offsets_ax.set_xlabel("dx = query col - key col")
        offsets_ax.set_ylabel("dy = query row - key row")

        index_ax = figure.add_subplot(grid[0, half:])
        image = index_ax.imshow(
            attention.relative_position_index.numpy(), cmap=SEQUENTIAL_CMAP, interpolation="nearest"
        )
        self.row_outlines = [
            index_ax.add_patch(Rectangle((-0.5, -0.5), tokens, 1, fill=False, edgecolor="white", linewidth=2)),
            index_ax.add_patch(
                Rectangle((-0.5, -0.5), tokens, 1, fill=False, edgecolor="black", linewidth=0.8, linestyle="--")
            ),
        ]
        figure.colorbar(image, ax=index_ax, label="row of the bias table")
        cell_ticks(index_ax, tokens, tokens, window)
        self.index_title = GlyphTitle(index_ax)
        index_ax.set_xlabel("key token")
        index_ax.set_ylabel("query token")

        self.bias = (
            relative_position_bias(attention.relative_position_bias_table, attention.relative_position_index)
            .detach()
            .numpy()
        )
        limit = float(np.abs(self.bias[:heads]).max()) or 1.0  # (heads, N, N) above
        self.head_images, self.stars, head_axes = [], [], []
        for head in range(heads):
            ax = figure.add_subplot(grid[1, head])
            head_axes.append(ax)
            self.head_images.append(
                ax.imshow(
                    np.zeros((window, window)), cmap=SIGNED_CMAP, vmin=-limit, vmax=limit, interpolation="nearest"
                )
            )
            (star,) = ax.plot([], [], marker="*", markersize=12, markerfacecolor="white", markeredgecolor="black")
            self.stars.append(star)
            cell_ticks(ax, window, window, max(1, window // 3))
            ax.set_title(f"head {head}: bias to each key", fontsize=9)
            ax.set_xlabel("key col")
            if head == 0:  # the heads share their rows: numbered on the left only
                ax.set_ylabel("key row")
            else:
                ax.tick_params(labelleft=False)
        figure.colorbar(self.head_images[-1], ax=head_axes, label="bias (star: the query)", fraction=0.03)
        self.dynamic = [
            self.used,
            self.offsets_title.glyphs,
            *self.row_outlines,
            self.index_title.glyphs,
            *self.head_images,
            *self.stars,
        ]

    def update(self, query: int) -> None:
        """Show query token ``query`` (0 .. M*M - 1, row-major)."""
        window = self.attention.window_size
        tokens = window * window
        if not 0 <= query < tokens:
            raise ValueError(f"query must be a token of the {window}x{window} window, 0 to {tokens - 1}; got {query}")
        used = relative_offsets(window)[query].numpy()  # (N, 2): the offsets (dy, dx) from each key to this query
        self.used.set_verts(cell_squares(used[:, ::-1]))  # cells at (dx, dy)
        self.offsets_title.set(
            f"{2 * window - 1}x{2 * window - 1} offsets (dy, dx): one table row each\n"
            f"white: the {tokens} used by query {query}"
        )
        for outline in self.row_outlines:
            outline.set_y(query - 0.5)
        self.index_title.set(f"relative_position_index ({tokens}x{tokens})\noutlined: row of query {query}")
        query_row, query_col = divmod(query, window)
        for head, (image, star) in enumerate(zip(self.head_images, self.stars)):
            image.set_data(self.bias[head, query].reshape(window, window))
            star.set_data([query_col], [query_row])


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
    view = PositionView(attention)
    view.update(attention.window_size**2 // 2 if query is None else query)
    return view.figure
