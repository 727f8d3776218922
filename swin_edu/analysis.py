"""What a model attends to: the attention probabilities of a block, where a token looks, how far each head looks.

The block's own ``window_attention(..., return_attention=True)`` gives the probabilities of every window. Token
coordinates passed through the same :class:`~swin_edu.windows.WindowGrid` (pad, shift, partition) say where
each token of each window sits in the unshifted map, so that a shifted window's tokens land where they are in
the image. Every function runs the model in eval mode and restores its modes afterwards.
"""

from __future__ import annotations

import numpy as np
import torch
from einops import rearrange

from swin_edu.model import SwinTransformer, eval_mode
from swin_edu.windows import WindowGrid


@torch.no_grad()
def block_attention(
    model: SwinTransformer, images: torch.Tensor, stage: int, block: int
) -> tuple[torch.Tensor, WindowGrid]:
    """The attention probabilities of ``model.layers[stage].blocks[block]``, and its windows on the stage's map.

    Args:
        images: ``(B, in_chans, H, W)``, normalised as the model expects.

    Returns:
        probabilities ``(B, nW, heads, N, N)`` (query, key in window order, after the shift), and the block's
        :class:`WindowGrid` (``grid.token_coordinates()`` says where each token of each window sits).
    """
    swin_block = model.layers[stage].blocks[block]
    with eval_mode(model):
        tokens = model.forward_to_block(model.patch_embed(images), stage, block)  # (B, h, w, C)
        _, probs = swin_block.window_attention(swin_block.norm1(tokens), return_attention=True)  # (B*nW, heads, N, N)
    grid = swin_block.window_grid(tokens.shape[1], tokens.shape[2])
    return rearrange(probs, "(b nw) heads i j -> b nw heads i j", b=len(images)), grid


def attention_map(
    model: SwinTransformer, image: torch.Tensor, stage: int, block: int, head: int, query: tuple[int, int]
) -> tuple[np.ndarray, np.ndarray]:
    """The attention of ``query`` (a token of the stage's map) over the map, and over its window as laid out.

    Args:
        image: ``(in_chans, H, W)``, normalised as the model expects.
        query: ``(row, col)`` on the map of ``stage``.

    Returns:
        ``(h, w)`` probabilities placed where each key sits in the image (NaN outside the window), and the raw
        ``(M, M)`` row of the attention matrix, in the order of the (shifted) window.
    """
    probs, grid = block_attention(model, image[None], stage, block)  # (1, nW, heads, N, N)
    coordinates = grid.token_coordinates()  # (nW, N, 2), -1 for padding
    height, width = grid.height, grid.width
    found = (coordinates == torch.tensor(query)).all(-1).nonzero()
    if len(found) == 0:
        raise ValueError(f"query {query} is outside the {height}x{width} map of stage {stage}")
    window_index, token_index = found[0].tolist()
    row = probs[0, window_index, head, token_index]  # (N,)
    placed = np.full((height, width), np.nan)
    for (r, c), p in zip(coordinates[window_index].tolist(), row.tolist()):
        if r >= 0:
            placed[r, c] = p
    return placed, row.reshape(grid.window_size, grid.window_size).numpy()


def mean_attention_distance(model: SwinTransformer, images: torch.Tensor, stage: int, block: int) -> torch.Tensor:
    """How far each head of a block looks: the attention-weighted distance from query to key, in tokens.

    Averaged over every query of every window of every image. Padding tokens are not queries; as keys (they do
    receive attention, as in the reference implementations) they count at the place they hold in the padded map.

    Args:
        images: ``(B, in_chans, H, W)``, normalised as the model expects.

    Returns:
        ``(heads,)`` mean distances in tokens of the block's stage.
    """
    probs, grid = block_attention(model, images, stage, block)  # (B, nW, heads, N, N)
    real_query = (grid.token_coordinates()[..., 0] >= 0).float()[None, :, None]  # (1, nW, 1, N)
    padded = grid.token_coordinates(mark_padding=False).float()  # (nW, N, 2)
    distance = torch.cdist(padded, padded)  # (nW, N, N), in the padded map
    per_query = (probs * distance[None, :, None]).sum(-1)  # (B, nW, heads, N)
    return (per_query * real_query).sum((0, 1, 3)) / (real_query.sum() * len(images))
