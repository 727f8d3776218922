"""Explorer 2: the cyclic shift (paper Figure 4): roll the map by -s, attend in regular windows, roll back.

Shifting the window grid by s tokens would leave ragged windows at the border. Instead the map itself is
rolled up and left by s (``torch.roll`` by -s): the top s rows and left s columns wrap around to the bottom
and right (regions A, B, C), the regular window grid then frames exactly the shifted windows, and rolling by
+s afterwards puts every token back.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch, Rectangle

from swin_edu.viz.style import CATEGORY_COLORS, OKABE_ITO, cell_ticks, draw_grid, label_cells, new_figure, text_box
from swin_edu.windows import cyclic_shift, reverse_cyclic_shift

# what happens to each token under the roll by -s
WRAP_NAMES: tuple[str, ...] = ("stays in place", "A: top-left corner", "B: top rows", "C: left columns")
WRAP_HATCHES: tuple[str, ...] = ("", "xx", "//", "\\\\")
WRAP_COLORS: tuple[str, ...] = ("#FFFFFF", CATEGORY_COLORS[5], CATEGORY_COLORS[1], CATEGORY_COLORS[0])


def check_shift(height: int, width: int, window_size: int, shift: int) -> None:
    """Raise a ValueError that says why a setting is impossible."""
    if window_size > min(height, width):
        raise ValueError(f"window {window_size}x{window_size} is larger than the {height}x{width} map")
    if not 0 <= shift < window_size:
        raise ValueError(f"shift must be in [0, window size {window_size}), got {shift}")


def wrap_regions(height: int, width: int, shift: int) -> torch.Tensor:
    """For every token of the unshifted map, which part wraps under the roll: 0 none, 1 A, 2 B, 3 C. ``(H, W)``."""
    rows = torch.arange(height)[:, None] < shift  # (H, 1): rolls from the top to the bottom
    cols = torch.arange(width)[None, :] < shift  # (1, W): rolls from the left to the right
    return (rows & cols) * 1 + (rows & ~cols) * 2 + (~rows & cols) * 3


def shift_stages(height: int, width: int, shift: int) -> dict[str, torch.Tensor]:
    """Token ids ``(H, W)`` before, after ``cyclic_shift`` and after ``reverse_cyclic_shift``, and where each id came from."""
    ids = torch.arange(height * width).reshape(1, height, width, 1)  # (1, H, W, 1): the token numbers, row-major
    shifted = cyclic_shift(ids, shift)
    restored = reverse_cyclic_shift(shifted, shift)
    return {"before": ids[0, ..., 0], "shifted": shifted[0, ..., 0], "restored": restored[0, ..., 0]}


def plot_shift(height: int = 8, width: int = 8, window_size: int = 4, shift: int | None = None) -> Figure:
    """Three panels: the map with the shifted windows dashed, the rolled map with regular windows, the map rolled back.

    Tokens show their number (maps of up to 100 tokens, before and after the roll); the parts that wrap carry a
    colour, a hatch and a letter.
    """
    shift = window_size // 2 if shift is None else shift
    check_shift(height, width, window_size, shift)
    stages = shift_stages(height, width, shift)
    origin = wrap_regions(height, width, shift).flatten()  # region of each token id
    figure = new_figure(12.0, 4.8)
    axes = figure.subplots(1, 3, sharey=True)  # the same rows: numbered on the left panel only
    figure.subplots_adjust(left=0.04, right=0.99, bottom=0.2, top=0.86, wspace=0.12)
    titles = (
        f"Before: the shifted windows (dashed)\nstart {shift} tokens in from the top left",
        f"After torch.roll by -{shift}: regular {window_size}x{window_size} windows\nframe the shifted ones",
        f"After torch.roll by +{shift}: every token is back\n(identical to the input: {torch.equal(stages['restored'], stages['before'])})",
    )
    for ax, key, title in zip(axes, ("before", "shifted", "restored"), titles):
        ids = stages[key]
        _draw_tokens(ax, ids.numpy(), origin[ids].numpy(), write_ids=key != "restored" and height * width <= 100)
        draw_grid(ax, window_size, height, width, origin=-0.5, colors="black", linewidths=2.2)
        ax.set_title(title, fontsize=10)
    axes[0].set_ylabel("row (token)")
    draw_grid(axes[0], window_size, height, width, offset=shift, origin=-0.5, colors=OKABE_ITO["blue"], linewidths=2.2, linestyles="--")
    legend = [Patch(facecolor=c, edgecolor="black", hatch=h, label=n) for c, h, n in zip(WRAP_COLORS, WRAP_HATCHES, WRAP_NAMES)]
    figure.legend(handles=legend, loc="lower center", ncol=4, fontsize=9, frameon=False)
    return figure


def _draw_tokens(ax: Axes, ids: np.ndarray, regions: np.ndarray, write_ids: bool) -> None:
    """Tokens as cells coloured and hatched by the region they came from, each region lettered, ids written.

    (numpy, not torch, for these tiny arrays: a torch reduction wakes its thread pool, slow on a busy CPU)
    """
    height, width = ids.shape
    ax.imshow(np.zeros((height, width)), cmap="gray", vmin=-1, vmax=0)  # white background, sets the extent
    for region in (1, 2, 3):
        cells = np.argwhere(regions == region)  # (n, 2): row, col
        if len(cells) == 0:
            continue
        (top, left), (bottom, right) = cells.min(0), cells.max(0)
        ax.add_patch(
            Rectangle(
                (left - 0.5, top - 0.5), right - left + 1, bottom - top + 1,
                facecolor=WRAP_COLORS[region], edgecolor="black", hatch=WRAP_HATCHES[region], alpha=0.9,
            )
        )
        text_box(ax, (left + right) / 2, (top + bottom) / 2, "ABC"[region - 1], fontsize=11)
    if write_ids:
        label_cells(ax, ids, fontsize=8)
    cell_ticks(ax, height, width, max(1, (max(height, width) + 7) // 8))
    ax.set_xlabel("column (token)")
