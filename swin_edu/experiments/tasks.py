"""Synthetic tasks built so that exactly one piece of Swin can solve them, with labels right by construction.

    two_marks       two one-patch marks in different windows: do they have the same colour?  (needs the shift)
    mark_order      a red and a blue mark: is the red one left of the blue one?  (needs position information)
    digits_split    the project's digits split, as tensors  (a small real data set)

Images are ``(N, 3, H, W)`` floats on a black background; a mark fills one patch (``patch x patch`` pixels),
so that it is exactly one token after patch embedding. Positions are given on the token grid ``(row, col)``.
Every draw comes from the ``torch.Generator`` passed in: the same seed gives the same data.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from swin_edu.data import digits_datasets

# red, green, blue, yellow: far apart in RGB
COLOURS = torch.tensor([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]])


@dataclass
class MarkImages:
    """A labelled set of two-mark images.

    Attributes:
        images: ``(N, 3, grid * patch, grid * patch)``.
        labels: ``(N,)`` long, 0 or 1.
        positions: ``(N, 2, 2)`` long, the token ``(row, col)`` of the first and second mark (top-left corner).
        colours: ``(N, 2)`` long, the index into :data:`COLOURS` of each mark.
    """

    images: torch.Tensor
    labels: torch.Tensor
    positions: torch.Tensor
    colours: torch.Tensor


def draw_marks(positions: torch.Tensor, colours: torch.Tensor, grid: int, patch: int, size: int = 1) -> torch.Tensor:
    """Paint square marks of ``size x size`` tokens, top-left corners at ``positions (N, K, 2)``, colours
    ``(N, K)``: images ``(N, 3, grid*patch, grid*patch)``."""
    count, marks, _ = positions.shape
    tokens = torch.zeros(count, 3, grid, grid)
    images_index = torch.arange(count)[:, None].expand(count, marks)
    for dy in range(size):
        for dx in range(size):
            rows, cols = positions[..., 0] + dy, positions[..., 1] + dx  # (N, K)
            tokens[images_index, :, rows, cols] = COLOURS[colours]  # (N, K, 3) into the marked tokens
    return tokens.repeat_interleave(patch, dim=2).repeat_interleave(patch, dim=3)  # each token -> a patch


def two_marks(
    count: int, grid: int, window: int, patch: int, generator: torch.Generator, num_colours: int = 4, size: int = 1
) -> MarkImages:
    """Two square marks in different windows; label 1 when they have the same colour (half of the images).

    The colours are uniform in both classes: one mark alone says nothing about the label.

    Args:
        count: number of images.
        grid: tokens per side (the image is ``grid * patch`` pixels); a multiple of ``window``.
        window: M; each mark lies inside one M x M window, never the same for both.
        patch: pixels per token side.
        generator: the source of every random draw.
        num_colours: how many of :data:`COLOURS` are used (2 to 4).
        size: the side of a mark in tokens, at most ``window``.
    """
    if grid % window or grid // window < 2:
        raise ValueError(f"grid={grid} must be a multiple of window={window} with at least 2 windows per side")
    if not 2 <= num_colours <= len(COLOURS):
        raise ValueError(f"num_colours must be in [2, {len(COLOURS)}], got {num_colours}")
    if not 1 <= size <= window:
        raise ValueError(f"a mark's size must be in [1, window={window}], got {size}")
    windows_per_side, offsets = grid // window, window - size + 1

    def corners(windows: torch.Tensor) -> torch.Tensor:
        """A random top-left corner inside each given window ``(n, 2)``: the whole mark stays in the window."""
        return windows * window + torch.randint(0, offsets, windows.shape, generator=generator)

    first_window = torch.randint(0, windows_per_side, (count, 2), generator=generator)
    second_window = torch.randint(0, windows_per_side, (count, 2), generator=generator)
    clash = (first_window == second_window).all(dim=1)
    while clash.any():  # redraw the second window until it differs from the first
        second_window[clash] = torch.randint(0, windows_per_side, (int(clash.sum()), 2), generator=generator)
        clash = (first_window == second_window).all(dim=1)
    labels = torch.randint(0, 2, (count,), generator=generator)
    colour_a = torch.randint(0, num_colours, (count,), generator=generator)
    # a different colour: add 1 .. num_colours - 1 (mod num_colours), uniform over the others
    other = (colour_a + torch.randint(1, num_colours, (count,), generator=generator)) % num_colours
    colour_b = torch.where(labels == 1, colour_a, other)
    positions = torch.stack([corners(first_window), corners(second_window)], dim=1)  # (N, 2, 2)
    colours = torch.stack([colour_a, colour_b], dim=1)  # (N, 2)
    return MarkImages(draw_marks(positions, colours, grid, patch, size), labels, positions, colours)


def mark_order(count: int, grid: int, patch: int, generator: torch.Generator) -> MarkImages:
    """A red and a blue mark in different columns; label 1 when the red one is left of the blue one.

    Without any position information (no bias, no position embedding), attention treats a window as a set:
    within a window it cannot tell left from right.
    """
    red = torch.randint(0, grid, (count, 2), generator=generator)
    blue = torch.randint(0, grid, (count, 2), generator=generator)
    same_column = red[:, 1] == blue[:, 1]
    while same_column.any():
        blue[same_column] = torch.randint(0, grid, (int(same_column.sum()), 2), generator=generator)
        same_column = red[:, 1] == blue[:, 1]
    positions = torch.stack([red, blue], dim=1)  # (N, 2, 2)
    colours = torch.tensor([0, 2]).expand(count, 2)  # red, blue
    labels = (red[:, 1] < blue[:, 1]).long()
    return MarkImages(draw_marks(positions, colours, grid, patch), labels, positions, colours)


def digits_split(size: int = 16) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The project's digits split (:func:`swin_edu.data.digits_datasets`: 1437 training, 360 validation images).

    The 32 x 32 images of the ``digits`` preset are average-pooled to ``size`` x ``size`` (16: four times fewer
    tokens, the same split).

    Returns:
        ``(train_images (1437, 1, size, size), train_labels, val_images (360, 1, size, size), val_labels)``,
        pixel values in [0, 1].
    """
    train, val = digits_datasets(train_tf=None, val_tf=None)  # TensorImages: the tensors themselves are enough
    pooled = [F.adaptive_avg_pool2d(split.images, size) for split in (train, val)]
    return pooled[0], train.labels, pooled[1], val.labels
