"""The Swin block and the stage: two residual sub-layers, attention in (shifted) windows, then an MLP.

Paper section 3.1 and Eq. 3, Figure 3(b):
    z' = W-MSA(LN(z)) + z,         z = MLP(LN(z')) + z'        (even blocks: regular windows)
    z' = SW-MSA(LN(z)) + z,        z = MLP(LN(z')) + z'        (odd blocks: windows shifted by M // 2)
"""

from __future__ import annotations

import torch
from torch import nn

from swin_edu.attention import WindowAttention
from swin_edu.patches import PatchMerging
from swin_edu.windows import WindowGrid, alternating_shift, cached_shift_mask


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

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, H, W, C)`` -> ``(B, H, W, C)``."""
        x = x + self.drop_path(self.window_attention(self.norm1(x)))
        x = x + self.drop_path(self.mlp(self.norm2(x)))
        return x

    def window_grid(self, height: int, width: int) -> WindowGrid:
        """The windows of this block on a ``height x width`` map: padding, and the shift along each axis.

        No shift along an axis that a single window already covers (torchvision's per-axis rule, see
        :func:`~swin_edu.windows.effective_shift`): ``.shift`` tells which.
        """
        return WindowGrid.for_map(height, width, self.window_size, self.shift_size)

    def shift_mask(
        self, padded_height: int, padded_width: int, shift: tuple[int, int], device: torch.device, dtype: torch.dtype
    ) -> torch.Tensor | None:
        """The ``(nW, N, N)`` shift mask (0 / -100) for a padded map, or None when nothing is shifted (W-MSA).

        A pure function of its arguments, cached by :func:`~swin_edu.windows.cached_shift_mask`: nothing is
        stored on the block, so a cast to bf16, a move to another device or a new image size always gets the
        right mask. A subclass may override it (returning None trains shifted windows without a mask).
        """
        if shift == (0, 0):
            return None
        return cached_shift_mask(padded_height, padded_width, self.window_size, shift, device, dtype)

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
        grid = self.window_grid(x.shape[1], x.shape[2])
        # 1. pad: bottom and right, up to multiples of the window: (B, Hp, Wp, C)
        x = grid.pad(x)
        # 2. shift: roll up and left by s, so that the shifted windows become regular ones
        x = grid.cyclic_shift(x)
        # 3. partition: the tokens of each window, (B*nW, M*M, C)
        windows = grid.partition(x)
        # 4. attend within each window; the mask keeps regions that the roll brought together apart
        mask = self.shift_mask(grid.padded_height, grid.padded_width, grid.shift, x.device, x.dtype)
        attended = self.attn(windows, mask, return_attention=return_attention)
        windows, probs = attended if return_attention else (attended, None)
        # 5. merge the windows back into a map: (B, Hp, Wp, C)
        x = grid.merge(windows)
        # 6. unshift: roll back down and right
        x = grid.reverse_cyclic_shift(x)
        # 7. unpad: (B, H, W, C)
        x = grid.unpad(x)
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
