"""Where a token looks: the attention probabilities of one head of one block, drawn over the photo.

The probabilities come from :func:`swin_edu.analysis.attention_map`; this module only draws them.
"""

from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure

from swin_edu.analysis import attention_map
from swin_edu.model import SwinTransformer
from swin_edu.viz.style import SEQUENTIAL_CMAP, new_figure


def plot_attention_maps(
    model: SwinTransformer,
    image: torch.Tensor,
    stage: int = 0,
    block: int = 1,
    head: int = 0,
    query: tuple[int, int] = (20, 17),
    display_image: np.ndarray | None = None,
) -> Figure:
    """Attention of one token in one head: over the photo, and as the row of the window's attention matrix.

    Args:
        image: ``(3, H, W)`` as the model takes it; ``display_image`` ``(H, W, 3)`` in [0, 1] to draw under the
            map (default: ``image`` itself, clipped to [0, 1]).
        query: ``(row, col)`` of the token on the map of ``stage``.
    """
    placed, window_row = attention_map(model, image, stage, block, head, query)
    shown = display_image if display_image is not None else image.permute(1, 2, 0).clamp(0, 1).numpy()
    height, width = placed.shape
    figure = new_figure(10.0, 4.6)
    photo_ax, window_ax = figure.subplots(1, 2)
    figure.subplots_adjust(left=0.06, right=0.94, bottom=0.1, top=0.85, wspace=0.3)
    kind = "SW-MSA" if model.layers[stage].blocks[block].shift_size else "W-MSA"
    figure.suptitle(
        f"Stage {stage + 1}, block {block + 1} ({kind}), head {head}: where token {query} looks", fontsize=11
    )

    photo_ax.imshow(shown, extent=(-0.5, width - 0.5, height - 0.5, -0.5))
    overlay = np.ma.masked_invalid(placed)
    image_artist = photo_ax.imshow(overlay, cmap=SEQUENTIAL_CMAP, alpha=0.75, interpolation="nearest")
    photo_ax.plot(query[1], query[0], marker="*", markersize=14, markerfacecolor="white", markeredgecolor="black")
    figure.colorbar(image_artist, ax=photo_ax, fraction=0.046, label="attention probability")
    photo_ax.set_title("over the image: the keys of its window\n(parts the mask separates get ~0)", fontsize=10)
    photo_ax.set_xlabel("token column")
    photo_ax.set_ylabel("token row")

    matrix_artist = window_ax.imshow(window_row, cmap=SEQUENTIAL_CMAP, interpolation="nearest")
    figure.colorbar(matrix_artist, ax=window_ax, fraction=0.046, label="attention probability")
    window_ax.set_title(
        "the query's row of the window's attention\n(tokens in window order, after the shift)", fontsize=10
    )
    window_ax.set_xlabel("key column in the window")
    window_ax.set_ylabel("key row in the window")
    return figure
