"""Explorer 3: the attention mask of shifted windows (the seed's 14x14 / window 7 / shift 3 demo, paper Figure 4).

After the cyclic shift a window can hold tokens from up to four regions that were not neighbours in the image.
``region_labels`` numbers the nine regions of the shifted map; ``shifted_window_mask`` puts -100 on every
(query, key) pair of a window whose labels differ, so softmax gives those pairs ~0 weight.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from swin_edu.viz.style import CATEGORY_CMAP, draw_grid, new_figure, text_box
from swin_edu.windows import region_labels, shifted_window_mask, window_partition

MASK_CMAP = "cividis"  # -100 dark blue, 0 light yellow: they differ in lightness, not only in hue


def check_mask(height: int, width: int, window_size: int, shift: int) -> None:
    """Raise a ValueError that says why a setting is impossible."""
    if window_size > min(height, width):
        raise ValueError(f"window {window_size}x{window_size} is larger than the {height}x{width} map")
    if height % window_size or width % window_size:
        raise ValueError(f"the {height}x{width} map is not a whole number of {window_size}x{window_size} windows")
    if not 0 <= shift < window_size:
        raise ValueError(f"shift must be in [0, window size {window_size}), got {shift}")


def window_token_labels(height: int, width: int, window_size: int, shift: int) -> torch.Tensor:
    """The region label of every token of every window, in token order: long ``(nW, M*M)``."""
    labels = region_labels(height, width, window_size, shift)  # (H, W)
    return window_partition(labels[None, :, :, None], window_size).flatten(1).long()  # (nW, M*M)


def separated_pairs(height: int, width: int, window_size: int, shift: int, window: int) -> list[tuple[int, int, int]]:
    """The pairs of regions that the -100 entries of one window's mask keep apart, with how many entries each.

    Returns:
        ``[(region_a, region_b, entries), ...]`` with ``region_a < region_b``; entries counts both (a, b) and (b, a).
    """
    mask = shifted_window_mask(height, width, window_size, shift)[window]  # (N, N)
    labels = window_token_labels(height, width, window_size, shift)[window]  # (N,)
    blocked = (mask == -100.0).nonzero()
    pairs: dict[tuple[int, int], int] = {}
    for query, key in blocked.tolist():
        pair = tuple(sorted((int(labels[query]), int(labels[key]))))
        pairs[pair] = pairs.get(pair, 0) + 1
    return [(a, b, count) for (a, b), count in sorted(pairs.items())]


def describe_entry(height: int, width: int, window_size: int, shift: int, window: int, query: int, key: int) -> str:
    """One sentence about ``mask[window, query, key]``: its value and the regions of the two tokens."""
    value = float(shifted_window_mask(height, width, window_size, shift)[window, query, key])
    labels = window_token_labels(height, width, window_size, shift)[window]
    where = lambda token: f"token {token} (row {token // window_size}, col {token % window_size})"  # noqa: E731
    a, b = int(labels[query]), int(labels[key])
    if value == 0.0:
        return f"mask[{window}, {query}, {key}] = 0: {where(query)} and {where(key)} are both in region {a}, they may attend"
    return f"mask[{window}, {query}, {key}] = {value:g}: it separates region {a} ({where(query)}) from region {b} ({where(key)})"


def plot_mask(
    height: int = 14,
    width: int = 14,
    window_size: int = 7,
    shift: int = 3,
    windows: tuple[int, ...] = (0, 1, 2, 3),
    selected: int | None = None,
    query: int | None = None,
    key: int | None = None,
) -> Figure:
    """The region labels of the shifted map and the masks of the given windows (the seed's five panels).

    ``selected`` outlines one window in the label image and its mask; ``query``/``key`` mark one mask entry.
    """
    check_mask(height, width, window_size, shift)
    labels = region_labels(height, width, window_size, shift)  # (H, W)
    masks = shifted_window_mask(height, width, window_size, shift)  # (nW, N, N)
    token_labels = window_token_labels(height, width, window_size, shift)  # (nW, N)
    windows = tuple(w for w in windows if 0 <= w < masks.shape[0])
    figure = new_figure(3.0 * (1 + len(windows)), 3.9)
    axes = figure.subplots(1, 1 + len(windows), squeeze=False)[0]
    figure.subplots_adjust(left=0.05, right=0.98, bottom=0.14, top=0.8, wspace=0.32)

    _plot_labels(axes[0], labels, window_size, selected)
    axes[0].set_title(f"Regions after the shift\n({height}x{width}, window {window_size}, shift {shift})", fontsize=10)
    image = None
    for ax, window in zip(axes[1:], windows):
        image = ax.imshow(masks[window].numpy(), cmap=MASK_CMAP, vmin=-100, vmax=0, interpolation="nearest")
        _region_ticks(ax, token_labels[window])
        blocked = int((masks[window].numpy() == -100).sum())
        ax.set_title(f"Mask of window {window}\n{blocked} of {masks.shape[1] ** 2} entries are -100", fontsize=10)
        ax.set_xlabel("key token (its region)")
        ax.set_ylabel("query token (its region)")
        if window == selected:
            for spine in ax.spines.values():
                spine.set_linewidth(3)
            if query is not None and key is not None:
                ax.plot(key, query, marker="o", markersize=9, markerfacecolor="none", markeredgecolor="white", markeredgewidth=2.5)
                ax.plot(key, query, marker="o", markersize=9, markerfacecolor="none", markeredgecolor="black", markeredgewidth=1)
    if image is not None:
        colorbar = figure.colorbar(image, ax=axes[1:].tolist(), orientation="horizontal", fraction=0.04, pad=0.2, aspect=40)
        colorbar.set_ticks([-100, 0], labels=["-100: blocked (dark)", "0: may attend (light)"])
    return figure


def _plot_labels(ax: Axes, labels: torch.Tensor, window_size: int, selected: int | None) -> None:
    """The nine regions, each coloured and numbered, with the windows outlined and numbered."""
    height, width = labels.shape
    labels = labels.numpy()
    ax.imshow(labels, cmap=CATEGORY_CMAP, vmin=-0.5, vmax=8.5, interpolation="nearest")
    for label in np.unique(labels):
        rows, cols = np.nonzero(labels == label)
        text_box(ax, cols.mean(), rows.mean(), str(int(label)), fontsize=8)
    draw_grid(ax, window_size, height, width, origin=-0.5, colors="black", linewidths=2)
    windows_per_row = width // window_size
    if selected is not None:
        row, col = divmod(selected, windows_per_row)
        ax.add_patch(_window_outline(row, col, window_size))
    ax.set_xticks(np.arange(0, width, window_size))
    ax.set_yticks(np.arange(0, height, window_size))
    ax.set_xlabel("column (token)")
    ax.set_ylabel("row (token)")


def _window_outline(row: int, col: int, window_size: int):
    from matplotlib.patches import Rectangle

    return Rectangle(
        (col * window_size - 0.5, row * window_size - 0.5), window_size, window_size,
        fill=False, edgecolor="white", linewidth=3, linestyle="--",
    )


def _region_ticks(ax: Axes, token_labels: torch.Tensor) -> None:
    """Tick each run of tokens that share a region with the region's label, on both axes."""
    labels = token_labels.tolist()
    starts = [0] + [i for i in range(1, len(labels)) if labels[i] != labels[i - 1]]
    ends = starts[1:] + [len(labels)]
    centres = [(start + end - 1) / 2 for start, end in zip(starts, ends)]
    names = [str(labels[start]) for start in starts]
    ax.set_xticks(centres, names, fontsize=7)
    ax.set_yticks(centres, names, fontsize=7)
    ax.tick_params(length=0)
