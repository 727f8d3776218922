"""Explorer 1: a real photo cut into patches and M x M windows, stage by stage (paper Figures 1 and 2).

At stage k the token map is the patch grid halved k-1 times, so a window of M x M tokens covers
``M * P * 2^(k-1)`` pixels: the windows grow in pixels while the number of tokens per window stays M^2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from swin_edu.complexity import msa_cost, wmsa_cost
from swin_edu.images import sample_photo_array
from swin_edu.model import SwinConfig
from swin_edu.viz.style import OKABE_ITO, draw_grid, log_axis, new_figure, text_box


@dataclass(frozen=True)
class WindowLayout:
    """What one setting of the window explorer shows (every number from the package's own functions)."""

    stage: int  # 1..4
    map_height: int  # tokens
    map_width: int
    token_pixels: int  # side of a token in pixels at this stage
    window_size: int  # M
    windows: int  # nW, after padding the map up to multiples of M
    tokens_per_window: int  # M^2
    channels: int  # C of this stage
    cost_msa: int  # formula (1), multiply-adds
    cost_wmsa: int  # formula (2)


def window_layout(
    image_size: int = 224, patch_size: int = 4, window_size: int = 7, stage: int = 1, embed_dim: int = 96
) -> WindowLayout:
    """The windows of a stage, or a ValueError that says why the setting is impossible."""
    if not 1 <= stage <= 4:
        raise ValueError(f"stage must be 1 to 4, got {stage}")
    if patch_size > image_size:
        raise ValueError(f"patch size {patch_size} is larger than the {image_size}-pixel image")
    config = SwinConfig(img_size=image_size, patch_size=patch_size, window_size=window_size)
    height, width = config.stage_sizes()[stage - 1]
    if window_size > min(height, width):
        raise ValueError(
            f"window {window_size}x{window_size} is larger than the {height}x{width} token map of stage {stage}"
        )
    channels = embed_dim * 2 ** (stage - 1)
    return WindowLayout(
        stage=stage,
        map_height=height,
        map_width=width,
        token_pixels=patch_size * 2 ** (stage - 1),
        window_size=window_size,
        windows=math.ceil(height / window_size) * math.ceil(width / window_size),
        tokens_per_window=window_size**2,
        channels=channels,
        cost_msa=msa_cost(height, width, channels),
        cost_wmsa=wmsa_cost(height, width, channels, window_size),
    )


def plot_windows(
    image_size: int = 224,
    patch_size: int = 4,
    window_size: int = 7,
    stage: int = 1,
    embed_dim: int = 96,
    photo: str = "chelsea",
) -> Figure:
    """The photo with the token grid of a stage (thin) and its M x M windows (thick, numbered), beside the cost
    of global MSA and W-MSA at every stage (formulas 1 and 2)."""
    layout = window_layout(image_size, patch_size, window_size, stage, embed_dim)
    image = sample_photo_array(image_size, photo)
    figure = new_figure(9.0, 4.6)
    photo_ax, cost_ax = figure.subplots(1, 2, width_ratios=(1.25, 1))
    figure.subplots_adjust(left=0.07, right=0.98, bottom=0.11, top=0.88, wspace=0.3)

    token_px, window_px = layout.token_pixels, layout.token_pixels * window_size
    rows_of_windows = math.ceil(layout.map_height / window_size)
    cols_of_windows = math.ceil(layout.map_width / window_size)
    covered_h, covered_w = rows_of_windows * window_px, cols_of_windows * window_px  # padded to whole windows
    photo_ax.imshow(image, extent=(0, image_size, image_size, 0))
    photo_ax.set_xlim(0, max(image_size, covered_w))
    photo_ax.set_ylim(max(image_size, covered_h), 0)
    if covered_h > image_size or covered_w > image_size:  # padding: windows that reach past the image
        for x, y, w, h in ((0, image_size, covered_w, covered_h - image_size), (image_size, 0, covered_w - image_size, covered_h)):
            photo_ax.add_patch(Rectangle((x, y), w, h, facecolor="white", edgecolor="grey", hatch="//", label="padding"))
    draw_grid(photo_ax, token_px, layout.map_height * token_px, layout.map_width * token_px, colors="white", linewidths=0.4, alpha=0.6)
    draw_grid(photo_ax, window_px, covered_h, covered_w, colors=OKABE_ITO["orange"], linewidths=2.5)
    for index in range(layout.windows):  # number the first row and column: windows are in row-major order
        row, col = divmod(index, cols_of_windows)
        if row == 0 or col == 0 or layout.windows <= 16:
            text_box(photo_ax, (col + 0.5) * window_px, (row + 0.5) * window_px, str(index), fontsize=8)
    photo_ax.set_title(
        f"Stage {stage}: {layout.map_height}x{layout.map_width} tokens of {token_px}x{token_px} px\n"
        f"{layout.windows} windows of {window_size}x{window_size} = {layout.tokens_per_window} tokens ({window_px} px)",
        fontsize=10,
    )
    photo_ax.set_xlabel("x (pixels)")
    photo_ax.set_ylabel("y (pixels)")

    _plot_costs(cost_ax, image_size, patch_size, window_size, embed_dim, stage)
    return figure


def _plot_costs(ax, image_size: int, patch_size: int, window_size: int, embed_dim: int, current_stage: int) -> None:
    """Bars of formulas (1) and (2) for the stages where the window fits; the current stage outlined."""
    stages, msa, wmsa = [], [], []
    for stage in range(1, 5):
        try:
            layout = window_layout(image_size, patch_size, window_size, stage, embed_dim)
        except ValueError:
            continue
        stages.append(stage)
        msa.append(layout.cost_msa)
        wmsa.append(layout.cost_wmsa)
    x = np.arange(len(stages))
    ax.bar(x - 0.2, msa, 0.4, color=OKABE_ITO["sky_blue"], edgecolor="black", label="global MSA, formula (1)")
    ax.bar(x + 0.2, wmsa, 0.4, color=OKABE_ITO["vermillion"], edgecolor="black", hatch="//", label="W-MSA, formula (2)")
    for position, stage in zip(x, stages):
        if stage == current_stage:
            top = max(msa[position], wmsa[position])
            ax.add_patch(Rectangle((position - 0.45, 0), 0.9, top * 1.6, fill=False, linestyle="--", linewidth=1.5))
            ax.annotate(f"x{msa[position] / wmsa[position]:.1f}", (position, top * 1.7), ha="center", fontsize=9)
    log_axis(ax, "y")
    ax.set_xticks(x, [f"stage {stage}" for stage in stages])
    ax.set_ylabel("multiply-adds of one attention layer")
    ax.set_title(f"Cost per layer (C = {embed_dim} x 2^(stage-1))\ndashed: this stage, xN: MSA / W-MSA", fontsize=10)
    ax.legend(loc="lower left", fontsize=8)
    ax.margins(y=0.3)
