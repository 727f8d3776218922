"""Receptive fields: which input patches can change a token after a given block.

Two views, side by side in notebook 08 and ``widgets.receptive_field_explorer``:

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
from einops import repeat

from swin_edu.model import SwinConfig, SwinTransformer, eval_mode
from swin_edu.windows import WindowGrid, alternating_shift, shifted_window_mask

MODES: tuple[str, ...] = ("swin", "wmsa", "vit")


def block_shift_size(block: int, window_size: int, mode: str = "swin") -> int:
    """The shift s of a block in a stage: as ``SwinStage`` builds them in "swin" mode, none otherwise."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    return alternating_shift(block, window_size) if mode == "swin" else 0


def spread_through_block(field: torch.Tensor, window_size: int, shift_size: int) -> torch.Tensor:
    """The tokens before a (S)W-MSA block that can reach ``field``, the tokens after it.

    The same trip as ``SwinBlock.window_attention``, through the same :class:`WindowGrid`: into windows (pad,
    shift, partition), connect the tokens of each window, back to the map (merge, unshift, unpad).

    Args:
        field: bool ``(H, W)``, tokens after the block; or ``(H, W, K)``, K such sets spread at once.
        window_size: M.
        shift_size: s (0 for W-MSA).

    Returns:
        bool, the shape of ``field``: every token that a token of ``field`` attends to (itself included).
    """
    height, width = field.shape[:2]
    grid = WindowGrid.for_map(height, width, window_size, shift_size)
    windows = grid.to_windows(field.float().reshape(1, height, width, -1))  # (nW, N, K); padding carries no input
    if grid.is_shifted:
        mask = shifted_window_mask(grid.padded_height, grid.padded_width, window_size, grid.shift)
        connected = (mask == 0).float()  # (nW, N, N)
    else:
        connected = torch.ones(1, window_size**2, window_size**2)  # W-MSA: every token of a window sees every other
    # token j reaches the field if some token i of the field attends to it; the mask is symmetric, so
    # connected @ field counts, for every j, the tokens of the field in its window that j may talk to
    reached = (connected @ windows > 0).float()  # (nW, N, K)
    return (grid.from_windows(reached)[0] > 0).reshape(field.shape)  # (H, W) or (H, W, K)


def spread_globally(field: torch.Tensor) -> torch.Tensor:
    """Global self-attention (ViT): if any token is in the field, every token can reach it. bool ``(H, W)``."""
    return torch.full_like(field, bool(field.any()))


def token_on_stage(patch: tuple[int, int], stage: int) -> tuple[int, int]:
    """The token of stage ``stage`` (0-based) that holds input patch ``patch``: each merging halves the grid."""
    return patch[0] >> stage, patch[1] >> stage


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
    sizes = config.stage_sizes()
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


def every_receptive_field(
    config: SwinConfig | None = None, mode: str = "swin"
) -> dict[tuple[int, int], tuple[torch.Tensor, torch.Tensor]]:
    """The exact receptive field of every token after every block and every patch merging, all at once.

    The field of a token is always a rectangle: a set of rows times a set of columns of the patch grid. Windows
    are rows of windows times columns of windows, the mask's regions are bands of rows times bands of columns,
    and patch merging joins 2 rows times 2 columns, so each step connects rows and columns independently. The
    rows of the field come from a walk over a one-column map (``H x 1``), the columns from a one-row map, both
    through :func:`spread_through_block` as it is; forward, every row carries its own field (the connections
    are the same both ways: attention inside a window and the mask are symmetric). :func:`receptive_field`, the
    walk back from one token over the whole map, gives the same fields (tested).

    Returns:
        ``{(stage, block): (rows, cols)}``, bool ``rows (h, grid_h)`` and ``cols (w, grid_w)``: the field of token
        ``(r, c)`` of stage ``stage`` after block ``block`` is ``rows[r][:, None] & cols[c][None, :]``. Block -1
        is the stage's input (after patch merging; the patches themselves for stage 0).
    """
    config = config or SwinConfig()
    rows = _every_field_along(0, config, mode)
    cols = _every_field_along(1, config, mode)
    return {step: (rows[step], cols[step]) for step in rows}


def _every_field_along(axis: int, config: SwinConfig, mode: str) -> dict[tuple[int, int], torch.Tensor]:
    """The fields along one axis (0: rows, 1: columns): ``{(stage, block): bool (length, grid_length)}``."""
    length = config.stage_sizes()[0][axis]
    fields = torch.eye(length, dtype=torch.bool)  # (L, K): at first, each patch row (or column) sees itself
    every = {}
    for stage, depth in enumerate(config.depths):
        if stage > 0:  # patch merging: a pair of rows (the last one alone when odd) becomes one row
            pairs = torch.cat([fields, torch.zeros_like(fields[: len(fields) % 2])])  # (2 * ceil(L/2), K)
            fields = pairs.reshape(-1, 2, pairs.shape[-1]).any(dim=1)  # (ceil(L/2), K)
        every[stage, -1] = fields
        for block in range(depth):
            if mode == "vit":  # global attention: every token gets every field
                fields = fields.any(dim=0, keepdim=True).expand_as(fields)
            else:
                line = fields.unsqueeze(1 - axis)  # (L, 1, K) or (1, L, K): a map one token wide
                shift = block_shift_size(block, config.window_size, mode)
                fields = spread_through_block(line, config.window_size, shift).squeeze(1 - axis)
            every[stage, block] = fields
    return every


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
    with eval_mode(model):
        patch_tokens = model.patch_embed(images).detach().requires_grad_()  # (1, H/P, W/P, C)
        x = model.layers[stage].blocks[block](model.forward_to_block(patch_tokens, stage, block))  # (1, h, w, C')
        (gradient,) = torch.autograd.grad(x[0, token[0], token[1]].sum(), patch_tokens)
    return gradient[0].abs().sum(dim=-1)  # (H/P, W/P)
