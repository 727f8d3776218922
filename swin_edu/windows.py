"""Windows: partition a feature map into M x M windows, the cyclic shift, and the shifted-window mask.

Paper section 3.2, Figure 2 (regular and shifted windows) and Figure 4 (the cyclic shift).

Every function here takes channels-last feature maps ``(B, H, W, C)``. Windows are laid out batch first,
then window rows, then window columns (row-major per image), the order of the official code: the mask of
window ``i`` in :func:`shifted_window_mask` belongs to window ``i`` of every image.

:class:`WindowGrid` holds the whole trip of a map into windows and back (pad, shift, partition; merge,
unshift, unpad), one method per step: the block, the receptive field and the attention maps all use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F
from einops import rearrange


def _pair(value: int | tuple[int, int]) -> tuple[int, int]:
    """``3 -> (3, 3)``; a pair stays a pair (one value per axis: height, width)."""
    if isinstance(value, int):
        return value, value
    height_value, width_value = value
    return int(height_value), int(width_value)


def window_partition(x: torch.Tensor, window_size: int) -> torch.Tensor:
    """Cut a feature map into non-overlapping square windows.

    Args:
        x: feature map ``(B, H, W, C)``; H and W must be multiples of ``window_size``.
        window_size: M, the side of a window in tokens.

    Returns:
        ``(B * nW, M, M, C)`` with ``nW = (H / M) * (W / M)``, windows in row-major order within each image.
    """
    _, height, width, _ = x.shape
    if height % window_size or width % window_size:
        raise ValueError(
            f"window_partition expects H and W to be multiples of window_size={window_size}, "
            f"got H={height}, W={width}; pad the feature map first"
        )
    return rearrange(x, "b (nh wh) (nw ww) c -> (b nh nw) wh ww c", wh=window_size, ww=window_size)


def window_reverse(windows: torch.Tensor, window_size: int, height: int, width: int) -> torch.Tensor:
    """Put windows back together: the inverse of :func:`window_partition`.

    Args:
        windows: ``(B * nW, M, M, C)`` as returned by :func:`window_partition`.
        window_size: M.
        height, width: the size of the feature map the windows came from.

    Returns:
        ``(B, H, W, C)``.
    """
    return rearrange(
        windows, "(b nh nw) wh ww c -> b (nh wh) (nw ww) c", nh=height // window_size, nw=width // window_size
    )


def alternating_shift(block_index: int, window_size: int) -> int:
    """The shift of block ``block_index`` in a stage: 0 (W-MSA) for even blocks, M // 2 (SW-MSA) for odd ones."""
    return 0 if block_index % 2 == 0 else window_size // 2


def effective_shift(
    padded_height: int, padded_width: int, window_size: int, shift_size: int | tuple[int, int]
) -> tuple[int, int]:
    """The shift actually applied along each axis: none along an axis that a single window already covers.

    Per axis, torchvision's rule: a 7 x 7 map with M = 7 is one window, and shifting it would only move tokens
    around the border. (The official code, built for one resolution, drops the shift on both axes and shrinks the
    window to the map when its shorter side fits one window: ``SwinTransformerBlock.__init__``.)
    """
    shift_h, shift_w = _pair(shift_size)
    return (shift_h if padded_height > window_size else 0, shift_w if padded_width > window_size else 0)


def cyclic_shift(x: torch.Tensor, shift_size: int | tuple[int, int]) -> torch.Tensor:
    """Roll a feature map ``(B, H, W, C)`` up and to the left by ``shift_size`` tokens (paper Figure 4).

    The top ``s`` rows and left ``s`` columns wrap around to the bottom and the right.
    """
    shift_h, shift_w = _pair(shift_size)
    if shift_h == shift_w == 0:
        return x  # W-MSA: nothing to roll (torch.roll would still copy the map)
    return torch.roll(x, shifts=(-shift_h, -shift_w), dims=(1, 2))


def reverse_cyclic_shift(x: torch.Tensor, shift_size: int | tuple[int, int]) -> torch.Tensor:
    """Undo :func:`cyclic_shift`: roll ``(B, H, W, C)`` down and to the right by ``shift_size``."""
    shift_h, shift_w = _pair(shift_size)
    if shift_h == shift_w == 0:
        return x
    return torch.roll(x, shifts=(shift_h, shift_w), dims=(1, 2))


def region_labels(height: int, width: int, window_size: int, shift_size: int | tuple[int, int]) -> torch.Tensor:
    """Label the regions of a cyclically shifted feature map (the official code's ``img_mask``).

    After the shift, the map is cut into three horizontal bands (rows ``[0, H-M)``, ``[H-M, H-s)``, ``[H-s, H)``)
    and three vertical bands in the same way; region ``3 * band_row + band_col`` gets label 0..8. Tokens with
    different labels were not neighbours before the shift, so they must not attend to each other.

    Returns:
        float tensor ``(H, W)`` of labels.
    """
    shift_h, shift_w = _pair(shift_size)
    labels = torch.zeros(height, width)
    row_bands = (
        slice(0, height - window_size),
        slice(height - window_size, height - shift_h),
        slice(height - shift_h, height),
    )
    col_bands = (
        slice(0, width - window_size),
        slice(width - window_size, width - shift_w),
        slice(width - shift_w, width),
    )
    label = 0
    for rows in row_bands:
        for cols in col_bands:
            labels[rows, cols] = label
            label += 1
    return labels


def shifted_window_mask(height: int, width: int, window_size: int, shift_size: int | tuple[int, int]) -> torch.Tensor:
    """The attention mask of SW-MSA after the cyclic shift (paper Figure 4; the official code's
    mask construction, shown there for a 14x14 map, window 7, shift 3).

    Args:
        height, width: size of the (padded) feature map; multiples of ``window_size``.
        window_size: M.
        shift_size: s, or ``(s_h, s_w)``; ``0 <= s < M``.

    Returns:
        float tensor ``(nW, M*M, M*M)``: entry ``[w, i, j]`` is 0.0 where tokens i and j of window w come from
        the same region, and -100.0 where they don't (large enough that softmax gives them ~0 weight, and the
        value the reference implementations use, so outputs match theirs exactly).
    """
    shift_h, shift_w = _pair(shift_size)
    if height % window_size or width % window_size:
        raise ValueError(f"the feature map {height}x{width} is not a multiple of window_size={window_size}")
    if not (0 <= shift_h < window_size and 0 <= shift_w < window_size):
        raise ValueError(f"shift_size must be in [0, window_size={window_size}), got {shift_size}")
    labels = region_labels(height, width, window_size, (shift_h, shift_w))  # (H, W)
    label_windows = window_partition(labels[None, :, :, None], window_size)  # (nW, M, M, 1)
    label_windows = rearrange(label_windows, "nw wh ww 1 -> nw (wh ww)")  # (nW, M*M)
    # differences of labels between every pair of tokens in a window: (nW, M*M, M*M), zero where they agree
    label_difference = label_windows.unsqueeze(1) - label_windows.unsqueeze(2)
    return torch.zeros_like(label_difference).masked_fill(label_difference != 0, -100.0)


@lru_cache(maxsize=16)
def cached_shift_mask(
    height: int, width: int, window_size: int, shift: tuple[int, int], device: torch.device, dtype: torch.dtype
) -> torch.Tensor:
    """:func:`shifted_window_mask` on ``device`` in ``dtype``, built once per distinct argument tuple.

    A pure function of everything the mask depends on, so a model cast to bf16, moved to another device or fed
    another image size always gets the right mask, and nothing is stored on a module (thread-safe). Under
    ``torch.compile``, Dynamo ignores the cache (it warns so) and traces the construction into the graph, which
    is correct since the mask depends on nothing but these arguments. The 16 most recent masks stay alive (one
    input size, four stages, a few dtypes and devices); the tensor is shared: never modify it in place.
    """
    return shifted_window_mask(height, width, window_size, shift).to(device=device, dtype=dtype)


@dataclass(frozen=True)
class WindowGrid:
    """The (shifted) windows laid over a map of ``height x width`` tokens, and the trip into them and back.

    Build it with :meth:`for_map`. Into windows: :meth:`pad` (bottom and right, to multiples of M),
    :meth:`cyclic_shift`, :meth:`partition`; back: :meth:`merge`, :meth:`reverse_cyclic_shift`, :meth:`unpad`.
    :meth:`to_windows` and :meth:`from_windows` run each half in one call.

    Attributes:
        height, width: the map before padding.
        window_size: M.
        shift: the shift applied along each axis, ``(s_h, s_w)`` (see :func:`effective_shift`).
    """

    height: int
    width: int
    window_size: int
    shift: tuple[int, int]

    @classmethod
    def for_map(cls, height: int, width: int, window_size: int, shift_size: int | tuple[int, int]) -> WindowGrid:
        """The grid of a block with window M and shift s on a ``height x width`` map (padded size decides the shift)."""
        padded_height, padded_width = height + (-height % window_size), width + (-width % window_size)
        return cls(height, width, window_size, effective_shift(padded_height, padded_width, window_size, shift_size))

    @property
    def padded_height(self) -> int:
        return self.height + (-self.height % self.window_size)

    @property
    def padded_width(self) -> int:
        return self.width + (-self.width % self.window_size)

    @property
    def is_shifted(self) -> bool:
        """Whether any axis is shifted (SW-MSA); False for W-MSA and for maps one window covers."""
        return self.shift != (0, 0)

    def pad(self, x: torch.Tensor, value: float = 0.0) -> torch.Tensor:
        """``(B, H, W, C)`` -> ``(B, Hp, Wp, C)``, filled with ``value`` at the bottom and right."""
        pad_h, pad_w = self.padded_height - self.height, self.padded_width - self.width
        if pad_h == pad_w == 0:
            return x  # nothing to pad (F.pad would still copy the map)
        return F.pad(x, (0, 0, 0, pad_w, 0, pad_h), value=value)  # F.pad lists the last dimension first: C, W, H

    def cyclic_shift(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, Hp, Wp, C)`` rolled up and left by the shift (see :func:`cyclic_shift`)."""
        return cyclic_shift(x, self.shift)

    def partition(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, Hp, Wp, C)`` -> the tokens of every window, ``(B*nW, M*M, C)``."""
        return rearrange(window_partition(x, self.window_size), "bw wh ww c -> bw (wh ww) c")

    def merge(self, windows: torch.Tensor) -> torch.Tensor:
        """``(B*nW, M*M, C)`` -> ``(B, Hp, Wp, C)``: the inverse of :meth:`partition`."""
        windows = rearrange(windows, "bw (wh ww) c -> bw wh ww c", wh=self.window_size)  # (B*nW, M, M, C)
        return window_reverse(windows, self.window_size, self.padded_height, self.padded_width)

    def reverse_cyclic_shift(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, Hp, Wp, C)`` rolled back down and right (see :func:`reverse_cyclic_shift`)."""
        return reverse_cyclic_shift(x, self.shift)

    def unpad(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, Hp, Wp, C)`` -> ``(B, H, W, C)``: drop the padding."""
        return x[:, : self.height, : self.width, :]

    def token_coordinates(self, mark_padding: bool = True) -> torch.Tensor:
        """Where every token of every window sits in the unshifted map: long ``(nW, M*M, 2)`` of (row, col).

        Padding tokens get ``(-1, -1)``, or with ``mark_padding=False`` the place they hold in the padded map.
        """
        rows, cols = torch.meshgrid(torch.arange(self.padded_height), torch.arange(self.padded_width), indexing="ij")
        if mark_padding:
            padding = (rows >= self.height) | (cols >= self.width)
            rows, cols = rows.masked_fill(padding, -1), cols.masked_fill(padding, -1)
        coordinates = torch.stack([rows, cols], dim=-1)[None]  # (1, Hp, Wp, 2)
        return self.partition(self.cyclic_shift(coordinates))  # (nW, M*M, 2)

    def to_windows(self, x: torch.Tensor, pad_value: float = 0.0) -> torch.Tensor:
        """Pad, shift, partition: ``(B, H, W, C)`` -> ``(B*nW, M*M, C)``."""
        return self.partition(self.cyclic_shift(self.pad(x, pad_value)))

    def from_windows(self, windows: torch.Tensor) -> torch.Tensor:
        """Merge, unshift, unpad: ``(B*nW, M*M, C)`` -> ``(B, H, W, C)``."""
        return self.unpad(self.reverse_cyclic_shift(self.merge(windows)))


def window_coordinates(height: int, width: int, window_size: int, shift: int | tuple[int, int]) -> torch.Tensor:
    """Where every token of every window sits in the unshifted map: long ``(nW, M*M, 2)`` of (row, col).

    Padding tokens get ``(-1, -1)``. ``shift`` is the block's shift s (reduced per axis as the block reduces it).
    """
    return WindowGrid.for_map(height, width, window_size, shift).token_coordinates()
