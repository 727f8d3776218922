"""Patches: patch partition + linear embedding at the input, patch merging between stages.

Paper section 3.1 and Figure 3(a). Both modules return channels-last feature maps ``(B, H, W, C)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn


class PatchEmbed(nn.Module):
    """Split an image into P x P patches and project each to C channels, then LayerNorm.

    Patch partition (224x224x3 -> 56x56x48 for P=4) followed by a linear layer (48 -> C) is exactly one
    convolution with kernel = stride = P; the convolution is named ``proj`` as in every reference checkpoint.
    Like torchvision's, it reads ``floor(H / P)`` patches: rows or columns left over at the border are not used.

    Args:
        patch_size: P.
        in_chans: channels of the image.
        embed_dim: C.
    """

    def __init__(self, patch_size: int = 4, in_chans: int = 3, embed_dim: int = 96) -> None:
        super().__init__()
        self.patch_size = patch_size
        self.in_chans = in_chans
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)
        self.norm = nn.LayerNorm(embed_dim)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, in_chans, H, W)`` -> ``(B, H/P, W/P, C)``."""
        x = self.proj(images)  # (B, C, H/P, W/P)
        x = rearrange(x, "b c h w -> b h w c")
        return self.norm(x)


class PatchMerging(nn.Module):
    """Concatenate each 2x2 neighbourhood (C -> 4C), LayerNorm, then a linear layer 4C -> 2C.

    Halves the resolution and doubles the channels, like a strided convolution in a CNN. The four tokens are
    concatenated in the reference order (0,0), (1,0), (0,1), (1,1) as (row, col) offsets: the einops pattern
    ``(p2 p1 c)`` puts the column offset outermost. The obvious ``(p1 p2 c)`` would silently break
    pretrained weights. An odd size is padded with zeros first.

    Args:
        dim: C, channels of the input.
    """

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.dim = dim
        self.norm = nn.LayerNorm(4 * dim)
        self.reduction = nn.Linear(4 * dim, 2 * dim, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, H, W, C)`` -> ``(B, ceil(H/2), ceil(W/2), 2C)``."""
        _, height, width, _ = x.shape
        if height % 2 or width % 2:
            x = F.pad(x, (0, 0, 0, width % 2, 0, height % 2))  # F.pad lists the last dimension first: C, W, H
        x = rearrange(x, "b (h p1) (w p2) c -> b h w (p2 p1 c)", p1=2, p2=2)  # (B, H/2, W/2, 4C)
        return self.reduction(self.norm(x))
