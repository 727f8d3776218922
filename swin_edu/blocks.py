"""The Swin block and the stage: two residual sub-layers, attention in (shifted) windows, then an MLP.

Paper section 3.1 and Eq. 3, Figure 3(b):
    z' = W-MSA(LN(z)) + z,         z = MLP(LN(z')) + z'        (even blocks: regular windows)
    z' = SW-MSA(LN(z)) + z,        z = MLP(LN(z')) + z'        (odd blocks: windows shifted by M // 2)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from einops import rearrange
from torch import nn

from swin_edu.attention import WindowAttention
from swin_edu.patches import PatchMerging
from swin_edu.windows import (
    alternating_shift,
    cyclic_shift,
    effective_shift,
    reverse_cyclic_shift,
    shifted_window_mask,
    window_partition,
    window_reverse,
)


class Mlp(nn.Module):
    """Two linear layers with a GELU between: C -> hidden -> C (hidden = 4C in Swin)."""

    def __init__(self, dim: int, hidden_dim: int, drop: float = 0.0) -> None:
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden_dim)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden_dim, dim)
        self.drop = nn.Dropout(drop)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., C)`` -> ``(..., C)``."""
        return self.drop(self.fc2(self.drop(self.act(self.fc1(x)))))


class DropPath(nn.Module):
    """Stochastic depth: in training, skip the whole residual branch for a random subset of the samples.

    Each sample's branch is kept with probability ``1 - drop_prob`` and scaled by ``1 / (1 - drop_prob)`` so
    that its expected value is unchanged; at evaluation the branch always passes through.
    """

    def __init__(self, drop_prob: float = 0.0) -> None:
        super().__init__()
        self.drop_prob = drop_prob

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.drop_prob == 0.0 or not self.training:
            return x
        keep_prob = 1.0 - self.drop_prob
        keep = x.new_empty((x.shape[0],) + (1,) * (x.ndim - 1)).bernoulli_(keep_prob)  # (B, 1, 1, 1)
        return x * keep / keep_prob

    def extra_repr(self) -> str:
        return f"drop_prob={self.drop_prob}"


class SwinBlock(nn.Module):
    """One Swin Transformer block: (S)W-MSA and an MLP, each behind a LayerNorm and a residual connection.

    Args:
        dim: channels C.
        num_heads: attention heads.
        window_size: M.
        shift_size: s; 0 for W-MSA, M // 2 for SW-MSA.
        mlp_ratio: hidden width of the MLP over C.
        qkv_bias, drop, attn_drop: see :class:`WindowAttention` and :class:`Mlp`.
        drop_path: stochastic depth probability of this block.
    """

    def __init__(
        self,
        dim: int,
        num_heads: int,
        window_size: int = 7,
        shift_size: int = 0,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: float = 0.0,
    ) -> None:
        super().__init__()
        if not 0 <= shift_size < window_size:
            raise ValueError(f"shift_size must be in [0, window_size={window_size}), got {shift_size}")
        self.window_size = window_size
        self.shift_size = shift_size
        self.norm1 = nn.LayerNorm(dim)
        self.attn = WindowAttention(dim, window_size, num_heads, qkv_bias, attn_drop, drop)
        self.drop_path = DropPath(drop_path)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, int(dim * mlp_ratio), drop)
        # the shift mask depends only on the (padded) map size: built on first use, rebuilt when the size changes
        self.register_buffer("attn_mask", None, persistent=False)
        self._mask_key: tuple[int, int, tuple[int, int]] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, H, W, C)`` -> ``(B, H, W, C)``."""
        x = x + self.drop_path(self.window_attention(self.norm1(x)))
        x = x + self.drop_path(self.mlp(self.norm2(x)))
        return x

    def shifts_for(self, padded_height: int, padded_width: int) -> tuple[int, int]:
        """The shift along each axis: none along an axis that a single window already covers (official code)."""
        return effective_shift(padded_height, padded_width, self.window_size, self.shift_size)

    def shift_mask(self, padded_height: int, padded_width: int, shift: tuple[int, int], device) -> torch.Tensor | None:
        """The ``(nW, N, N)`` mask for this size, cached in the ``attn_mask`` buffer; None when nothing is shifted."""
        if shift == (0, 0):
            return None
        key = (padded_height, padded_width, shift)
        if self._mask_key != key or self.attn_mask is None or self.attn_mask.device != device:
            self.attn_mask = shifted_window_mask(padded_height, padded_width, self.window_size, shift).to(device)
            self._mask_key = key
        return self.attn_mask

    def window_attention(
        self, x: torch.Tensor, return_attention: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """W-MSA or SW-MSA over a whole feature map: pad, shift, partition, attend, merge, unshift, unpad.

        Args:
            x: ``(B, H, W, C)``, already normalised.
            return_attention: also return the attention probabilities ``(B*nW, heads, N, N)``.

        Returns:
            ``(B, H, W, C)`` (and the probabilities).
        """
        _, height, width, _ = x.shape
        window = self.window_size
        # 1. pad: bottom and right, up to multiples of the window
        pad_h, pad_w = -height % window, -width % window
        if pad_h or pad_w:
            x = F.pad(x, (0, 0, 0, pad_w, 0, pad_h))  # (B, Hp, Wp, C)
        padded_height, padded_width = height + pad_h, width + pad_w
        shift = self.shifts_for(padded_height, padded_width)
        # 2. shift: roll up and left by s, so that the shifted windows become regular ones
        x = cyclic_shift(x, shift)
        # 3. partition: (B*nW, M*M, C)
        windows = rearrange(window_partition(x, window), "bw wh ww c -> bw (wh ww) c")
        # 4. attend within each window; the mask keeps regions that the roll brought together apart
        mask = self.shift_mask(padded_height, padded_width, shift, x.device)
        attended = self.attn(windows, mask, return_attention=return_attention)
        windows, probs = attended if return_attention else (attended, None)
        # 5. merge the windows back into a map: (B, Hp, Wp, C)
        x = window_reverse(
            rearrange(windows, "bw (wh ww) c -> bw wh ww c", wh=window), window, padded_height, padded_width
        )
        # 6. unshift: roll back down and right
        x = reverse_cyclic_shift(x, shift)
        # 7. unpad
        x = x[:, :height, :width, :]
        return (x, probs) if return_attention else x


class SwinStage(nn.Module):
    """A stage: ``depth`` blocks alternating regular and shifted windows, then (optionally) patch merging.

    Patch merging sits at the end of the stage, as in the official code (``layers.{i}.downsample``).
    """

    def __init__(
        self,
        dim: int,
        depth: int,
        num_heads: int,
        window_size: int,
        mlp_ratio: float = 4.0,
        qkv_bias: bool = True,
        drop: float = 0.0,
        attn_drop: float = 0.0,
        drop_path: tuple[float, ...] = (),
        downsample: bool = False,
    ) -> None:
        super().__init__()
        drop_path = tuple(drop_path) or (0.0,) * depth
        self.blocks = nn.Sequential(
            *(
                SwinBlock(
                    dim,
                    num_heads,
                    window_size,
                    shift_size=alternating_shift(i, window_size),
                    mlp_ratio=mlp_ratio,
                    qkv_bias=qkv_bias,
                    drop=drop,
                    attn_drop=attn_drop,
                    drop_path=drop_path[i],
                )
                for i in range(depth)
            )
        )
        self.downsample = PatchMerging(dim) if downsample else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, H, W, C)`` -> ``(B, H/2, W/2, 2C)`` with merging, else ``(B, H, W, C)``."""
        return self.downsample(self.blocks(x))
