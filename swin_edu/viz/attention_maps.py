"""Where a token looks: the attention probabilities of one head of one block, drawn over the photo (notebook 09).

The block's own ``window_attention(..., return_attention=True)`` gives the probabilities of every window; the
window holding the query is found by passing token coordinates through the same pad, shift and partition, so
that a shifted window's tokens are drawn where they sit in the image.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from swin_edu.model import SwinTransformer
from swin_edu.receptive_field import forward_to_block
from swin_edu.viz.style import SEQUENTIAL_CMAP, new_figure
from swin_edu.windows import cyclic_shift, window_partition


def window_coordinates(height: int, width: int, window_size: int, shift: tuple[int, int]) -> torch.Tensor:
    """The (row, col) in the unshifted map of every token of every window: long ``(nW, M*M, 2)``; -1 for padding."""
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    coordinates = torch.stack([rows, cols], dim=-1)[None]  # (1, H, W, 2)
    pad_h, pad_w = -height % window_size, -width % window_size
    coordinates = F.pad(coordinates, (0, 0, 0, pad_w, 0, pad_h), value=-1)  # (1, Hp, Wp, 2)
    coordinates = cyclic_shift(coordinates, shift)
    return window_partition(coordinates, window_size).flatten(1, 2)  # (nW, M*M, 2)


@torch.no_grad()
def attention_map(
    model: SwinTransformer, image: torch.Tensor, stage: int, block: int, head: int, query: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The attention of ``query`` (a token of the stage's map) over the map, and over its window as laid out.

    Args:
        image: ``(3, H, W)``, normalised as the model expects.

    Returns:
        ``(h, w)`` probabilities placed where each key sits in the image (NaN outside the window), and the raw
        ``(M, M)`` row of the attention matrix, in the order of the (shifted) window.
    """
    was_training = model.training
    model.eval()
    swin_block = model.layers[stage].blocks[block]
    tokens = forward_to_block(model, model.patch_embed(image[None]), stage, block)  # (1, h, w, C)
    model.train(was_training)
    _, probs = swin_block.window_attention(swin_block.norm1(tokens), return_attention=True)  # (nW, heads, N, N)
    height, width = tokens.shape[1:3]
    window = swin_block.window_size
    shift = swin_block.shifts_for(height + (-height % window), width + (-width % window))
    coordinates = window_coordinates(height, width, window, shift)  # (nW, N, 2)
    found = (coordinates == torch.tensor(query)).all(-1).nonzero()
    if len(found) == 0:
        raise ValueError(f"query {query} is outside the {height}x{width} map of stage {stage}")
    window_index, token_index = found[0].tolist()
    row = probs[window_index, head, token_index]  # (N,)
    placed = np.full((height, width), np.nan)
    for (r, c), p in zip(coordinates[window_index].tolist(), row.tolist()):
        if r >= 0:
            placed[r, c] = p
    return placed, row.reshape(window, window).numpy()


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
    figure.suptitle(f"Stage {stage + 1}, block {block + 1} ({kind}), head {head}: where token {query} looks", fontsize=11)

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
    window_ax.set_title("the query's row of the window's attention\n(tokens in window order, after the shift)", fontsize=10)
    window_ax.set_xlabel("key column in the window")
    window_ax.set_ylabel("key row in the window")
    return figure
