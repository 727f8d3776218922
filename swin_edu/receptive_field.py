"""Receptive fields: which input patches can change a token after a given block.

Two views, side by side in notebook 07 and ``widgets.receptive_field_explorer``:

- the *exact* field, from the architecture's connectivity alone. Walk back from the token, block by block:
  a block lets a token see every token it attends to (its window, or, in a shifted block, the part of its
  shifted window that the mask leaves open, so that nothing wraps around the image border); the MLP and the
  residual connections work token by token; patch merging makes a token out of a 2x2 group of the stage
  before. The steps are those of ``SwinBlock.window_attention``, using the same functions.
- the *effective* field of an actual model: how strongly each input patch moves the token, the gradient of the
  token with respect to the patch embeddings (Luo et al., 2016, "Understanding the effective receptive field").

Modes of the exact field: ``"swin"`` (regular and shifted windows alternate, as in the paper), ``"wmsa"`` (no
shifting: the field stays inside its window until patch merging) and ``"vit"`` (global attention in every
block: the whole image after the first block).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange, repeat

from swin_edu.model import SwinConfig, SwinTransformer
from swin_edu.windows import (
    alternating_shift,
    cyclic_shift,
    effective_shift,
    reverse_cyclic_shift,
    shifted_window_mask,
    window_partition,
    window_reverse,
)

MODES: tuple[str, ...] = ("swin", "wmsa", "vit")


def stage_sizes(config: SwinConfig) -> list[tuple[int, int]]:
    """The token map ``(h, w)`` of every stage: the patch grid, then halved (rounded up) by each merging.

    Swin-T at 224: ``[(56, 56), (28, 28), (14, 14), (7, 7)]``.
    """
    height = width = config.img_size // config.patch_size
    sizes = []
    for _ in config.depths:
        sizes.append((height, width))
        height, width = -(-height // 2), -(-width // 2)  # ceil: PatchMerging pads an odd size
    return sizes


def block_positions(depths: tuple[int, ...]) -> list[tuple[int, int]]:
    """``(stage, block)`` of every block in the order they run: Swin-T gives 12 pairs, (0, 0) ... (3, 1)."""
    return [(stage, block) for stage, depth in enumerate(depths) for block in range(depth)]


def block_shift_size(block: int, window_size: int, mode: str = "swin") -> int:
    """The shift s of a block in a stage: as ``SwinStage`` builds them in "swin" mode, none otherwise."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return alternating_shift(block, window_size) if mode == "swin" else 0


def spread_through_block(field: torch.Tensor, window_size: int, shift_size: int) -> torch.Tensor:
    """The tokens before a (S)W-MSA block that can reach ``field``, the tokens after it.

    The same steps as ``SwinBlock.window_attention``: pad, shift, partition, connect, merge, unshift, unpad.

    Args:
        field: bool ``(H, W)``, tokens after the block.
        window_size: M.
        shift_size: s (0 for W-MSA).

    Returns:
        bool ``(H, W)``: every token that a token of ``field`` attends to (itself included).
    """
    height, width = field.shape
    pad_h, pad_w = -height % window_size, -width % window_size
    x = F.pad(field.float(), (0, pad_w, 0, pad_h))[None, :, :, None]  # (1, Hp, Wp, 1); padding carries no input
    padded_height, padded_width = height + pad_h, width + pad_w
    shift = effective_shift(padded_height, padded_width, window_size, shift_size)
    x = cyclic_shift(x, shift)
    windows = rearrange(window_partition(x, window_size), "nw wh ww 1 -> nw (wh ww) 1")  # (nW, N, 1)
    tokens = window_size * window_size
    if shift == (0, 0):
        connected = torch.ones(1, tokens, tokens)  # W-MSA: every token of a window sees every other
    else:
        connected = (shifted_window_mask(padded_height, padded_width, window_size, shift) == 0).float()  # (nW, N, N)
    # token j reaches the field if some token i of the field attends to it; the mask is symmetric, so
    # connected @ field counts, for every j, the tokens of the field in its window that j may talk to
    reached = (connected @ windows > 0).float()  # (nW, N, 1)
    x = window_reverse(rearrange(reached, "nw (wh ww) 1 -> nw wh ww 1", wh=window_size), window_size, padded_height, padded_width)
    x = reverse_cyclic_shift(x, shift)  # (1, Hp, Wp, 1)
    return x[0, :height, :width, 0] > 0


def spread_globally(field: torch.Tensor) -> torch.Tensor:
    """Global self-attention (ViT): if any token is in the field, every token can reach it. bool ``(H, W)``."""
    return torch.full_like(field, bool(field.any()))


def spread_through_merging(field: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """The tokens of the ``(height, width)`` map before patch merging that make the tokens of ``field``.

    Each merged token concatenates a 2x2 group: ``(ceil(H/2), ceil(W/2))`` -> ``(H, W)`` (padding cropped off).
    """
    return repeat(field, "h w -> (h p1) (w p2)", p1=2, p2=2)[:height, :width]


def receptive_field(
    token: tuple[int, int],
    stage: int,
    block: int,
    config: SwinConfig | None = None,
    mode: str = "swin",
) -> torch.Tensor:
    """The exact receptive field of a token after a block, on the input patch grid.

    Args:
        token: ``(row, col)`` of the token on the map of ``stage``.
        stage, block: the token is read after ``model.layers[stage].blocks[block]`` (zero-based; before the
            stage's patch merging).
        config: the architecture (image size, patch size, window size, depths); Swin-T at 224 by default.
        mode: "swin", "wmsa" or "vit" (see the module docstring).

    Returns:
        bool ``(img_size / P, img_size / P)``: True for every patch that can change the token.
    """
    config = config or SwinConfig()
    sizes = stage_sizes(config)
    if not (0 <= stage < len(config.depths) and 0 <= block < config.depths[stage]):
        raise ValueError(f"no block {block} in stage {stage} of depths {config.depths}")
    height, width = sizes[stage]
    if not (0 <= token[0] < height and 0 <= token[1] < width):
        raise ValueError(f"token {token} is outside the {height}x{width} map of stage {stage}")
    field = torch.zeros(height, width, dtype=torch.bool)
    field[token] = True
    for current_stage in range(stage, -1, -1):  # walk back to the input
        last_block = block if current_stage == stage else config.depths[current_stage] - 1
        for current_block in range(last_block, -1, -1):
            if mode == "vit":
                field = spread_globally(field)
            else:
                shift_size = block_shift_size(current_block, config.window_size, mode)
                field = spread_through_block(field, config.window_size, shift_size)
        if current_stage > 0:
            field = spread_through_merging(field, *sizes[current_stage - 1])
    return field


def forward_to_block(model: SwinTransformer, patch_tokens: torch.Tensor, stage: int, block: int) -> torch.Tensor:
    """Run a model from its patch embeddings up to (not through) ``model.layers[stage].blocks[block]``.

    Args:
        patch_tokens: ``(B, H/P, W/P, C)``, the output of ``model.patch_embed``.

    Returns:
        the input of that block, ``(B, h, w, C_stage)``.
    """
    x = model.pos_drop(patch_tokens)
    for earlier_stage in model.layers[:stage]:
        x = earlier_stage(x)  # its blocks, then patch merging
    return model.layers[stage].blocks[:block](x)


def effective_receptive_field(
    model: SwinTransformer, images: torch.Tensor, token: tuple[int, int], stage: int, block: int
) -> torch.Tensor:
    """How much each input patch moves a token after a block: gradient magnitude on the patch grid.

    The token's channels after ``model.layers[stage].blocks[block]`` are summed and differentiated with respect
    to the patch embeddings; the absolute gradient is summed over channels. The model runs in eval mode (no
    dropout, no stochastic depth) and its parameters collect no gradient.

    Args:
        images: ``(1, in_chans, H, W)``.
        token: ``(row, col)`` on the map of ``stage``.

    Returns:
        float ``(H/P, W/P)``, zero exactly where the patch cannot reach the token (up to the -100 of the mask,
        which leaves a weight of e^-100, about 4e-44, on the pairs it separates).
    """
    was_training = model.training
    model.eval()
    try:
        patch_tokens = model.patch_embed(images).detach().requires_grad_()  # (1, H/P, W/P, C)
        x = model.layers[stage].blocks[block](forward_to_block(model, patch_tokens, stage, block))  # (1, h, w, C')
        (gradient,) = torch.autograd.grad(x[0, token[0], token[1]].sum(), patch_tokens)
    finally:
        model.train(was_training)
    return gradient[0].abs().sum(dim=-1)  # (H/P, W/P)
