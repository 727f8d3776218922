"""Explorer 5: how far a token sees after each block: the exact field beside a model's effective field.

The exact field (``swin_edu.receptive_field.receptive_field``) is drawn over the photo: patches outside it are
dimmed and hatched. The effective field is the gradient magnitude of the token with respect to every patch
embedding of an actual model (``effective_receptive_field``), on a log scale, with the exact field's outline
over it. Nothing here builds a model or remembers one: the model comes in as an argument.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import torch
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from swin_edu.images import sample_photo, sample_photo_array
from swin_edu.model import SwinConfig, SwinTransformer
from swin_edu.receptive_field import block_shift_size, effective_receptive_field, receptive_field, token_on_stage
from swin_edu.viz.shift import grid_segments
from swin_edu.viz.style import OKABE_ITO, SEQUENTIAL_CMAP, GlyphTitle, new_figure

MODE_NAMES = {"swin": "W-MSA and SW-MSA alternate", "wmsa": "W-MSA only, no shift", "vit": "global attention (ViT)"}
LOG_RANGE = 8.0  # decades of gradient magnitude shown
HATCH_PERIOD = 6  # pixels between the stripes that hatch what is out of reach


@lru_cache(maxsize=256)
def cached_exact_field(token: tuple[int, int], stage: int, block: int, config: SwinConfig, mode: str) -> np.ndarray:
    """``receptive_field`` as a read-only numpy array, remembered per setting (it depends on nothing else)."""
    field = receptive_field(token, stage, block, config, mode).numpy()
    field.flags.writeable = False
    return field


def model_photo(config: SwinConfig, photo: str = "chelsea") -> torch.Tensor:
    """The sample photo as the model takes it: ``(1, in_chans, H, W)``, grey (the mean of R, G, B) for one channel."""
    image = sample_photo(config.img_size, photo)[None]  # (1, 3, H, W)
    return image.mean(dim=1, keepdim=True).expand(-1, config.in_chans, -1, -1) if config.in_chans != 3 else image


def effective_field(
    model: SwinTransformer, patch: tuple[int, int], block_number: int, photo: str = "chelsea"
) -> np.ndarray:
    """``effective_receptive_field`` of the token holding ``patch`` after block ``block_number`` (1-based), on the
    sample photo: ``(H/P, W/P)``. Computed anew on every call (a forward and a backward pass of ``model``)."""
    stage, block = model.config.block_positions()[block_number - 1]
    return effective_receptive_field(
        model, model_photo(model.config, photo), token_on_stage(patch, stage), stage, block
    ).numpy()


def field_outline(field: np.ndarray) -> list[np.ndarray]:
    """The border of a bool field ``(H, W)`` as unit segments between cells inside and outside (cell centres at
    integers, as ``imshow`` puts them)."""
    padded = np.pad(field, 1)  # outside the map counts as outside the field
    rows, cols = np.nonzero(padded[1:, 1:-1] != padded[:-1, 1:-1])  # a horizontal edge above cell (row, col)
    horizontal = [np.array([(c - 0.5, r - 0.5), (c + 0.5, r - 0.5)]) for r, c in zip(rows, cols)]
    rows, cols = np.nonzero(padded[1:-1, 1:] != padded[1:-1, :-1])  # a vertical edge left of cell (row, col)
    vertical = [np.array([(c - 0.5, r - 0.5), (c - 0.5, r + 0.5)]) for r, c in zip(rows, cols)]
    return horizontal + vertical


class ReceptiveFieldView:
    """The exact field over the photo, and optionally the effective field beside it, for one architecture."""

    image_format = "jpeg"  # mostly photo: JPEG encodes it five times faster than PNG

    def __init__(self, config: SwinConfig, show_effective: bool = True, photo: str = "chelsea") -> None:
        self.config, self.show_effective = config, show_effective
        grid_h, grid_w = config.stage_sizes()[0]
        size = config.patch_size
        self.photo = sample_photo_array(grid_h * size, photo)  # (H, W, 3)
        if config.in_chans == 1:
            self.photo = self.photo.mean(axis=2, keepdims=True).repeat(3, axis=2)  # grey, as the model sees it
        rows, cols = np.indices((grid_h * size, grid_w * size))
        self.stripes = ((rows + cols) % HATCH_PERIOD == 0)[..., None]  # (H, W, 1): diagonal hatching lines
        self.figure = figure = new_figure(10.0 if show_effective else 5.6, 5.0)
        axes = figure.subplots(1, 2 if show_effective else 1, squeeze=False)[0]
        figure.subplots_adjust(left=0.07, right=0.93, bottom=0.1, top=0.84, wspace=0.25)
        self.suptitle = figure.suptitle(" ", fontsize=11)
        extent = (-0.5, grid_w - 0.5, grid_h - 0.5, -0.5)
        ax = axes[0]
        self.exact_image = ax.imshow(self.photo, extent=extent)
        self.windows = ax.add_collection(LineCollection([], colors="white", linewidths=0.8, linestyles=":"))
        self.outline = ax.add_collection(LineCollection([], colors=OKABE_ITO["orange"], linewidths=2.0))
        self.exact_title = GlyphTitle(ax)
        ax.set_xticks(np.arange(0, grid_w, config.window_size))
        ax.set_yticks(np.arange(0, grid_h, config.window_size))
        ax.set_xlabel("patch column")
        ax.set_ylabel("patch row")
        self.stars = [_star(ax)]
        self.dynamic = [self.suptitle, self.exact_image, self.windows, self.outline, self.exact_title.glyphs]
        if show_effective:
            ax = axes[1]
            self.effective_image = ax.imshow(
                np.zeros((grid_h, grid_w)), cmap=SEQUENTIAL_CMAP, vmin=-LOG_RANGE, vmax=0, interpolation="nearest"
            )
            self.effective_outline = ax.add_collection(
                LineCollection([], colors="white", linewidths=1.5, linestyles="--")
            )
            figure.colorbar(self.effective_image, ax=ax, fraction=0.046, label="log10 |gradient| / max")
            self.effective_title = GlyphTitle(ax)
            ax.set_xticks(np.arange(0, grid_w, config.window_size))
            ax.set_yticks(np.arange(0, grid_h, config.window_size))
            ax.set_xlabel("patch column")
            ax.set_ylabel("patch row")
            self.stars.append(_star(ax))
            self.dynamic += [self.effective_image, self.effective_outline, self.effective_title.glyphs]
        self.dynamic += self.stars

    def update(
        self, block_number: int, patch: tuple[int, int], mode: str, gradient: np.ndarray | None = None
    ) -> np.ndarray:
        """Show the field of the token holding ``patch`` after block ``block_number`` (1-based); ``gradient`` is its
        effective field ``(H/P, W/P)`` (None: not known yet, the panel says so). Returns the exact field."""
        config = self.config
        positions = config.block_positions()
        if not 1 <= block_number <= len(positions):
            raise ValueError(f"block_number must be 1 to {len(positions)}, got {block_number}")
        grid_h, grid_w = config.stage_sizes()[0]
        if not (0 <= patch[0] < grid_h and 0 <= patch[1] < grid_w):
            raise ValueError(f"patch {patch} is outside the {grid_h}x{grid_w} patch grid")
        stage, block = positions[block_number - 1]
        field = cached_exact_field(token_on_stage(patch, stage), stage, block, config, mode)  # (grid_h, grid_w) bool
        kind = (
            "global" if mode == "vit" else ("SW-MSA" if block_shift_size(block, config.window_size, mode) else "W-MSA")
        )
        self.suptitle.set_text(
            f"After block {block_number} of {len(positions)} (stage {stage + 1}, block {block + 1}, {kind}); "
            f"{MODE_NAMES[mode]}"
        )
        # dim the patches outside the field and hatch them: one value per patch, stretched to its P x P pixels
        outside = np.kron(~field, np.ones((config.patch_size, config.patch_size), dtype=bool))[..., None]
        self.exact_image.set_data(np.where(outside, np.where(self.stripes, 0.0, self.photo * 0.25), self.photo))
        window_patches = config.window_size * 2**stage  # a window of this stage, in input patches
        self.windows.set_segments(grid_segments(window_patches, grid_h, grid_w))
        outline = field_outline(field)
        self.outline.set_segments(outline)
        count = int(field.sum())
        self.exact_title.set(
            f"Exact field: {count} of {field.size} patches ({100 * count / field.size:.0f}%)\n"
            f"dotted: windows of stage {stage + 1}; hatched: out of reach"
        )
        for star in self.stars:
            star.set_data([patch[1]], [patch[0]])
        if self.show_effective:
            self.effective_outline.set_segments(outline)
            if gradient is None:
                self.effective_image.set_data(np.full((grid_h, grid_w), np.nan))
                self.effective_title.set(
                    "Effective field: computed when the controls rest\n(a backward pass of the model)"
                )
            else:
                peak = gradient.max() or 1.0
                self.effective_image.set_data(np.log10(np.maximum(gradient / peak, 10.0**-LOG_RANGE)))
                self.effective_title.set("Effective field of the model: |d token / d patch|\ndashed: the exact field")
        return field


def _star(ax):
    (star,) = ax.plot([], [], marker="*", markersize=14, markerfacecolor="white", markeredgecolor="black")
    return star


def plot_receptive_field(
    block_number: int = 2,
    patch: tuple[int, int] = (20, 17),
    mode: str = "swin",
    model: SwinTransformer | None = None,
    show_effective: bool = True,
    photo: str = "chelsea",
    config: SwinConfig | None = None,
) -> Figure:
    """The exact field of the token holding ``patch`` after block ``block_number`` (1-based, over all stages).

    Args:
        block_number: 1 .. total blocks (12 for Swin-T).
        patch: ``(row, col)`` on the input patch grid (56x56 for a 224 image).
        mode: "swin", "wmsa" or "vit".
        model: whose effective field to show (needed when ``show_effective``); its config is the architecture.
        show_effective: draw the gradient panel (a forward and a backward pass of ``model``).
        config: the architecture when no model is given (Swin-T at 224 by default).
    """
    if show_effective and model is None:
        raise ValueError("the effective field is a model's gradient: pass model=..., or show_effective=False")
    config = model.config if model is not None else (config or SwinConfig())
    view = ReceptiveFieldView(config, show_effective, photo)
    view.update(block_number, patch, mode)  # checks the setting before any gradient is computed
    if show_effective:
        view.update(block_number, patch, mode, effective_field(model, patch, block_number, photo))
    return view.figure
