"""Explorer 5: how far a token sees after each block: the exact field beside a model's effective field.

The exact field (``swin_edu.receptive_field.receptive_field``) is drawn over the photo: patches outside it are
dimmed and hatched. The effective field is the gradient magnitude of the token with respect to every patch
embedding of an actual model, on a log scale, with the exact field's outline over it.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from swin_edu.images import sample_photo, sample_photo_array
from swin_edu.model import SwinConfig, SwinTransformer, swin_t
from swin_edu.receptive_field import block_shift_size, effective_receptive_field, receptive_field
from swin_edu.viz.style import OKABE_ITO, SEQUENTIAL_CMAP, draw_grid, new_figure

MODE_NAMES = {"swin": "W-MSA and SW-MSA alternate", "wmsa": "W-MSA only, no shift", "vit": "global attention (ViT)"}
LOG_RANGE = 8.0  # decades of gradient magnitude shown


@lru_cache(maxsize=1)
def default_model() -> SwinTransformer:
    """An untrained model with Swin-T's layout (patches, windows, depths) but narrow (C = 24): quick gradients."""
    torch.manual_seed(0)
    return swin_t(embed_dim=24, num_heads=(1, 2, 4, 8), num_classes=0).eval()


@lru_cache(maxsize=64)
def _cached_effective_field(model_id: int, token: tuple[int, int], stage: int, block: int, photo: str) -> np.ndarray:
    model = _MODELS[model_id]
    images = sample_photo(model.config.img_size, photo)[None]  # (1, 3, H, W)
    return effective_receptive_field(model, images, token, stage, block).numpy()


_MODELS: dict[int, SwinTransformer] = {}


def cached_effective_field(model: SwinTransformer, token: tuple[int, int], stage: int, block: int, photo: str) -> np.ndarray:
    """``effective_receptive_field`` on the sample photo, remembered per (model, token, block)."""
    _MODELS[id(model)] = model
    return _cached_effective_field(id(model), token, stage, block, photo)


@lru_cache(maxsize=256)
def cached_exact_field(token: tuple[int, int], stage: int, block: int, config: SwinConfig, mode: str) -> np.ndarray:
    """``receptive_field`` as a read-only numpy array, remembered per setting (the figure and the readout share it)."""
    field = receptive_field(token, stage, block, config, mode).numpy()
    field.flags.writeable = False
    return field


def token_on_stage(patch: tuple[int, int], stage: int) -> tuple[int, int]:
    """The token of stage ``stage`` (0-based) that holds input patch ``patch``: each merging halves the grid."""
    return patch[0] >> stage, patch[1] >> stage


def plot_receptive_field(
    block_number: int = 2,
    patch: tuple[int, int] = (20, 17),
    mode: str = "swin",
    model: SwinTransformer | None = None,
    show_effective: bool = True,
    photo: str = "chelsea",
) -> Figure:
    """The exact field of the token holding ``patch`` after block ``block_number`` (1-based, over all stages).

    Args:
        block_number: 1 .. total blocks (12 for Swin-T).
        patch: ``(row, col)`` on the input patch grid (56x56 for a 224 image).
        mode: "swin", "wmsa" or "vit".
        model: whose effective field to show; an untrained narrow Swin-T when None.
        show_effective: draw the gradient panel (needs a forward and backward pass, cached).
    """
    model = model or default_model()
    config: SwinConfig = model.config
    positions = config.block_positions()
    if not 1 <= block_number <= len(positions):
        raise ValueError(f"block_number must be 1 to {len(positions)}, got {block_number}")
    grid_h, grid_w = config.stage_sizes()[0]
    if not (0 <= patch[0] < grid_h and 0 <= patch[1] < grid_w):
        raise ValueError(f"patch {patch} is outside the {grid_h}x{grid_w} patch grid")
    stage, block = positions[block_number - 1]
    token = token_on_stage(patch, stage)
    field = cached_exact_field(token, stage, block, config, mode)  # (grid_h, grid_w) bool

    figure = new_figure(10.0 if show_effective else 5.6, 5.0)
    axes = figure.subplots(1, 2 if show_effective else 1, squeeze=False)[0]
    figure.subplots_adjust(left=0.07, right=0.93, bottom=0.1, top=0.84, wspace=0.25)
    kind = "global" if mode == "vit" else ("SW-MSA" if block_shift_size(block, config.window_size, mode) else "W-MSA")
    figure.suptitle(
        f"After block {block_number} of {len(positions)} (stage {stage + 1}, block {block + 1}, {kind}); "
        f"{MODE_NAMES[mode]}",
        fontsize=11,
    )
    _plot_exact(axes[0], field, patch, stage, config, photo)
    if show_effective:
        gradient = cached_effective_field(model, token, stage, block, photo)
        _plot_effective(figure, axes[1], gradient, field, patch)
    return figure


def _plot_exact(ax: Axes, field: np.ndarray, patch: tuple[int, int], stage: int, config: SwinConfig, photo: str) -> None:
    grid_h, grid_w = field.shape
    image = sample_photo_array(grid_h * config.patch_size, photo)
    # dim the patches outside the field: one value per patch, stretched to its P x P pixels
    dim = np.kron(np.where(field, 1.0, 0.25), np.ones((config.patch_size, config.patch_size)))[..., None]
    ax.imshow(image * dim, extent=(-0.5, grid_w - 0.5, grid_h - 0.5, -0.5))
    ax.contourf(~field, levels=[0.5, 1.5], colors="none", hatches=["//"])  # contours in (col, row) = pixel centres
    ax.contour(field, levels=[0.5], colors=OKABE_ITO["orange"], linewidths=2.0)  # (col, row) coordinates, as imshow
    window_patches = config.window_size * 2**stage  # a window of this stage, in input patches
    draw_grid(ax, window_patches, grid_h, grid_w, origin=-0.5, colors="white", linewidths=0.8, linestyles=":")
    _mark(ax, patch)
    count = int(field.sum())
    ax.set_title(f"Exact field: {count} of {field.size} patches ({100 * count / field.size:.0f}%)\n"
                 f"dotted: windows of stage {stage + 1}; hatched: out of reach", fontsize=10)
    ax.set_xticks(np.arange(0, grid_w, config.window_size))
    ax.set_yticks(np.arange(0, grid_h, config.window_size))
    ax.set_xlabel("patch column")
    ax.set_ylabel("patch row")


def _plot_effective(figure: Figure, ax: Axes, gradient: np.ndarray, field: np.ndarray, patch: tuple[int, int]) -> None:
    grid_h, grid_w = gradient.shape
    peak = gradient.max() or 1.0
    log_gradient = np.log10(np.maximum(gradient / peak, 10.0**-LOG_RANGE))
    image = ax.imshow(log_gradient, cmap=SEQUENTIAL_CMAP, vmin=-LOG_RANGE, vmax=0, interpolation="nearest")
    ax.contour(field, levels=[0.5], colors="white", linewidths=1.5, linestyles="--")  # (col, row) coordinates, as imshow
    _mark(ax, patch)
    figure.colorbar(image, ax=ax, fraction=0.046, label="log10 |gradient| / max")
    ax.set_title("Effective field of the model: |d token / d patch|\ndashed: the exact field", fontsize=10)
    ax.set_xticks(np.arange(0, grid_w, 7))
    ax.set_yticks(np.arange(0, grid_h, 7))
    ax.set_xlabel("patch column")
    ax.set_ylabel("patch row")


def _mark(ax: Axes, patch: tuple[int, int]) -> None:
    ax.plot(patch[1], patch[0], marker="*", markersize=14, markerfacecolor="white", markeredgecolor="black")
