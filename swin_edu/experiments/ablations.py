"""Ablations by composition: take a Swin model and remove one piece, without touching the model's code.

Each function changes a built model in place and returns it, so the rest of the model (its weights, its
initialisation, its forward pass) stays exactly the library's:

    one_stage_swin(...)          one stage of blocks, no patch merging: windows can talk only through the shift
    remove_shift(model)          every block attends in regular windows (W-MSA only)
    remove_mask(model)           shifted blocks attend without the mask: wrapped-around tokens see each other
    remove_relative_bias(model)  the relative position bias tables are zero and frozen
    add_absolute_position(model) a learned position embedding added to the patch tokens (as ViT does)
"""

from __future__ import annotations

import torch
from torch import nn

from swin_edu.blocks import SwinBlock
from swin_edu.model import SwinConfig, SwinTransformer


def one_stage_swin(
    img_size: int,
    patch_size: int,
    in_chans: int,
    num_classes: int,
    depth: int,
    embed_dim: int,
    num_heads: int,
    window_size: int,
) -> SwinTransformer:
    """A Swin Transformer with a single stage of ``depth`` blocks (W-MSA and SW-MSA alternating), no merging.

    Without patch merging, the only path between two windows is the shifted windows of the odd blocks.
    """
    config = SwinConfig(
        img_size=img_size,
        patch_size=patch_size,
        in_chans=in_chans,
        num_classes=num_classes,
        embed_dim=embed_dim,
        depths=(depth,),
        num_heads=(num_heads,),
        window_size=window_size,
        drop_path_rate=0.0,
    )
    return SwinTransformer(config)


def swin_blocks(model: nn.Module) -> list[SwinBlock]:
    """Every Swin block of a model, in the order they run."""
    return [module for module in model.modules() if isinstance(module, SwinBlock)]


def remove_shift(model: nn.Module) -> nn.Module:
    """W-MSA only: every block's shift becomes 0 (a block reads ``shift_size`` on every call)."""
    for block in swin_blocks(model):
        block.shift_size = 0
    return model


def no_mask(*args, **kwargs) -> None:
    """Stands in for ``SwinBlock.shift_mask``: no mask, whatever the size and shift."""
    return


def remove_mask(model: nn.Module) -> nn.Module:
    """Shifted windows without the mask: after the roll, tokens from opposite borders attend to each other.

    The block asks its ``shift_mask`` method for the mask; an instance attribute of the same name answers first.
    """
    for block in swin_blocks(model):
        block.shift_mask = no_mask
    return model


def remove_relative_bias(model: nn.Module) -> nn.Module:
    """No relative position bias: every ``relative_position_bias_table`` is set to zero and frozen."""
    for name, parameter in model.named_parameters():
        if name.endswith("relative_position_bias_table"):
            with torch.no_grad():
                parameter.zero_()
            parameter.requires_grad_(False)
    return model


class AbsolutePosition(nn.Module):
    """Patch embedding followed by a learned absolute position embedding, one vector per patch position.

    Args:
        patch_embed: the model's patch embedding, ``(B, in_chans, H, W)`` -> ``(B, h, w, C)``.
        grid: ``(h, w)``, the patch grid the embedding covers (the input size is then fixed).
        embed_dim: C.
    """

    def __init__(self, patch_embed: nn.Module, grid: tuple[int, int], embed_dim: int) -> None:
        super().__init__()
        self.patch_embed = patch_embed
        # named as in the official code, whose recipe exempts it from weight decay (recipe.parameter_groups does too)
        self.absolute_pos_embed = nn.Parameter(torch.zeros(1, *grid, embed_dim))  # (1, h, w, C)
        nn.init.trunc_normal_(self.absolute_pos_embed, std=0.02)  # as ViT and the paper's "abs. pos." row (Table 4)

    @property
    def proj(self) -> nn.Conv2d:
        """The wrapped embedding's convolution (the model reads it, e.g. to check the dtype of its input)."""
        return self.patch_embed.proj

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, in_chans, H, W)`` -> ``(B, h, w, C)``."""
        tokens = self.patch_embed(images)  # (B, h, w, C)
        if tokens.shape[1:3] != self.absolute_pos_embed.shape[1:3]:
            raise ValueError(
                f"the position embedding covers a {tuple(self.absolute_pos_embed.shape[1:3])} patch grid, "
                f"got {tuple(tokens.shape[1:3])}"
            )
        return tokens + self.absolute_pos_embed


def add_absolute_position(model: SwinTransformer) -> SwinTransformer:
    """Wrap ``model.patch_embed`` so that a learned position embedding is added to every patch token."""
    config = model.config
    side = config.img_size // config.patch_size
    model.patch_embed = AbsolutePosition(model.patch_embed, (side, side), config.embed_dim)
    return model
