"""Explorer 1: a real photo cut into patches and M x M windows, stage by stage (paper Figures 1 and 2).

At stage k the token map is the patch grid halved k-1 times, so a window of M x M tokens covers
``M * P * 2^(k-1)`` pixels: the windows grow in pixels while the number of tokens per window stays M^2.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from swin_edu.complexity import msa_cost, wmsa_cost
from swin_edu.images import sample_photo_array
from swin_edu.model import SwinConfig
from swin_edu.viz.style import OKABE_ITO, GlyphTitle, log_axis, new_figure, set_text_glyphs, text_glyphs
from swin_edu.windows import WindowGrid


@dataclass(frozen=True)
class WindowLayout:
    """What one setting of the window explorer shows (every number from the package's own functions)."""

    stage: int  # 1..4
    map_height: int  # tokens
    map_width: int
    padded_height: int  # the map padded at the bottom and right to multiples of M, as the model pads it
    padded_width: int
    token_pixels: int  # side of a token in pixels at this stage
    window_size: int  # M
    windows: int  # nW, after padding the map up to multiples of M
    tokens_per_window: int  # M^2
    channels: int  # C of this stage
    cost_msa: int  # formula (1) on the map, multiply-adds
    cost_wmsa: int  # formula (2) on the padded map: the model attends over the padding too

    @property
    def padded(self) -> bool:
        return (self.padded_height, self.padded_width) != (self.map_height, self.map_width)


def window_layout(
    image_size: int = 224, patch_size: int = 4, window_size: int = 7, stage: int = 1, embed_dim: int = 96
) -> WindowLayout:
    """The windows of a stage, or a ValueError that says why the setting is impossible.

    A map that is not a whole number of windows is padded, as ``WindowGrid`` pads it in the model: a window
    larger than the map (M = 14 on the 7x7 map of stage 4) is one window, mostly padding, and costs more than
    global attention. (The official code, built for one resolution, shrinks such a window to the map instead.)
    """
    if not 1 <= stage <= 4:
        raise ValueError(f"stage must be 1 to 4, got {stage}")
    if patch_size > image_size:
        raise ValueError(f"patch size {patch_size} is larger than the {image_size}-pixel image")
    config = SwinConfig(img_size=image_size, patch_size=patch_size, window_size=window_size)
    height, width = config.stage_sizes()[stage - 1]
    grid = WindowGrid.for_map(height, width, window_size, 0)
    channels = embed_dim * 2 ** (stage - 1)
    return WindowLayout(
        stage=stage,
        map_height=height,
        map_width=width,
        padded_height=grid.padded_height,
        padded_width=grid.padded_width,
        token_pixels=patch_size * 2 ** (stage - 1),
        window_size=window_size,
        windows=(grid.padded_height // window_size) * (grid.padded_width // window_size),
        tokens_per_window=window_size**2,
        channels=channels,
        cost_msa=msa_cost(height, width, channels),
        cost_wmsa=wmsa_cost(grid.padded_height, grid.padded_width, channels, window_size),
    )


SCREEN_PIXELS = 448  # the photo panel is about this wide on screen: the photo is drawn at this resolution
COST_RANGE = (1e4, 1e13)  # multiply-adds: every setting of the explorer fits, so the axis never moves


class WindowsView:
    """The photo with a stage's token grid and windows, beside the cost of every stage; one figure for every setting
    (the photo panel has no pixel ticks and the cost axis a fixed range, so nothing but the drawn data moves)."""

    image_format = "jpeg"  # mostly photo: JPEG encodes it five times faster than PNG

    def __init__(self, embed_dim: int = 96, photo: str = "chelsea") -> None:
        self.embed_dim, self.photo = embed_dim, photo
        self.figure = figure = new_figure(9.0, 4.6)
        photo_ax, cost_ax = figure.subplots(1, 2, width_ratios=(1.25, 1))
        figure.subplots_adjust(left=0.03, right=0.98, bottom=0.11, top=0.88, wspace=0.2)
        self.photo_ax = photo_ax
        opaque = np.ones((SCREEN_PIXELS, SCREEN_PIXELS, 1), dtype=np.float32)
        pixels = (np.concatenate([sample_photo_array(SCREEN_PIXELS, photo), opaque], -1) * 255).round().astype(np.uint8)
        self.image = photo_ax.imshow(pixels, extent=(0, 1, 1, 0))  # RGBA bytes: drawn without conversion
        photo_ax.set_xticks([])
        photo_ax.set_yticks([])
        self.padding = [
            photo_ax.add_patch(
                Rectangle((0, 0), 0, 0, facecolor="white", edgecolor="grey", hatch="//", label="padding")
            )
            for _ in range(2)
        ]
        self.tokens = photo_ax.add_collection(LineCollection([], colors="white", linewidths=0.4, alpha=0.6))
        self.windows = photo_ax.add_collection(LineCollection([], colors=OKABE_ITO["orange"], linewidths=2.5))
        self.number_marks = photo_ax.scatter([], [], s=150, marker="s", c="white", edgecolors="black", zorder=4)
        self.numbers = text_glyphs(photo_ax, np.zeros((0, 2)), [], fontsize=8)
        self.numbers.set_zorder(5)
        self.photo_title = GlyphTitle(photo_ax)

        x = np.arange(4)
        self.msa_bars = cost_ax.bar(
            x - 0.2, np.ones(4), 0.4, color=OKABE_ITO["sky_blue"], edgecolor="black", label="global MSA, formula (1)"
        )
        self.wmsa_bars = cost_ax.bar(
            x + 0.2,
            np.ones(4),
            0.4,
            color=OKABE_ITO["vermillion"],
            edgecolor="black",
            hatch="//",
            label="W-MSA, formula (2) on the padded map",
        )
        self.current = cost_ax.add_patch(
            Rectangle((0, COST_RANGE[0]), 0.9, 1, fill=False, linestyle="--", linewidth=1.5)
        )
        self.ratio = text_glyphs(cost_ax, np.zeros((0, 2)), [], fontsize=9)
        log_axis(cost_ax, "y")
        cost_ax.set_ylim(*COST_RANGE)
        cost_ax.set_xlim(-0.6, 3.6)
        cost_ax.set_xticks(x, [f"stage {stage}" for stage in range(1, 5)])
        cost_ax.set_ylabel("multiply-adds of one attention layer")
        cost_ax.set_title(
            f"Cost per layer (C = {embed_dim} x 2^(stage-1))\ndashed: this stage, xN: MSA / W-MSA", fontsize=10
        )
        cost_ax.legend(loc="upper left", fontsize=8)
        self.dynamic = [
            self.image, *self.padding, self.tokens, self.windows, self.number_marks, self.numbers,
            self.photo_title.glyphs, *self.msa_bars, *self.wmsa_bars, self.current, self.ratio,
        ]  # fmt: skip

    def update(self, image_size: int, patch_size: int, window_size: int, stage: int) -> WindowLayout:
        """Show ``stage`` (1-4) of a ``image_size`` photo cut into patches and M x M windows; returns its layout."""
        layout = window_layout(image_size, patch_size, window_size, stage, self.embed_dim)
        token_px, window_px = layout.token_pixels, layout.token_pixels * window_size
        columns = layout.padded_width // window_size
        covered_h, covered_w = layout.padded_height * token_px, layout.padded_width * token_px  # whole windows
        self.image.set_extent((0, image_size, image_size, 0))  # the photo at screen resolution, any image size
        self.photo_ax.set_xlim(0, max(image_size, covered_w))
        self.photo_ax.set_ylim(max(image_size, covered_h), 0)
        bands = [
            (0, image_size, covered_w, covered_h - image_size),
            (image_size, 0, covered_w - image_size, image_size),
        ]
        for patch, (x, y, w, h) in zip(self.padding, bands):
            patch.set_visible(w > 0 and h > 0)  # windows that reach past the image: below it, right of it
            patch.set_bounds(x, y, w, h)
        self.tokens.set_segments(_grid(token_px, layout.map_height * token_px, layout.map_width * token_px))
        self.windows.set_segments(_grid(window_px, covered_h, covered_w))
        numbered = [i for i in range(layout.windows) if layout.windows <= 16 or i < columns or i % columns == 0]
        places = [((i % columns + 0.5) * window_px, (i // columns + 0.5) * window_px) for i in numbered]
        self.number_marks.set_offsets(np.array(places).reshape(-1, 2))
        set_text_glyphs(self.numbers, places, [str(i) for i in numbered])  # windows are in row-major order
        padded = f", padded to {layout.padded_height}x{layout.padded_width}" if layout.padded else ""
        self.photo_title.set(
            f"Stage {stage}: {layout.map_height}x{layout.map_width} tokens of {token_px}x{token_px} px{padded}\n"
            f"{layout.windows} window{'s' if layout.windows > 1 else ''} of {window_size}x{window_size} = "
            f"{layout.tokens_per_window} tokens ({window_px} px, {image_size} px image)"
        )
        self._costs(image_size, patch_size, window_size, stage)
        return layout

    def _costs(self, image_size: int, patch_size: int, window_size: int, current: int) -> None:
        """Bars of formulas (1) and (2) for every stage; the current stage outlined, with its ratio."""
        for position, (msa_bar, wmsa_bar) in enumerate(zip(self.msa_bars, self.wmsa_bars)):
            layout = window_layout(image_size, patch_size, window_size, position + 1, self.embed_dim)
            for bar, cost in ((msa_bar, layout.cost_msa), (wmsa_bar, layout.cost_wmsa)):
                bar.set_y(COST_RANGE[0])
                bar.set_height(cost - COST_RANGE[0])
            if position + 1 == current:
                top = max(layout.cost_msa, layout.cost_wmsa)
                self.current.set_bounds(position - 0.45, COST_RANGE[0], 0.9, top * 1.6 - COST_RANGE[0])
                set_text_glyphs(self.ratio, [(position, top * 3)], [f"x{layout.cost_msa / layout.cost_wmsa:.3g}"])


def _grid(step: float, height: float, width: float) -> list[np.ndarray]:
    """Lines every ``step`` pixels across ``height x width`` pixels, from the top left corner."""
    rows, cols = np.arange(0, height + 1e-9, step), np.arange(0, width + 1e-9, step)
    return [np.array([(0, y), (width, y)]) for y in rows] + [np.array([(x, 0), (x, height)]) for x in cols]


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
    view = WindowsView(embed_dim, photo)
    view.update(image_size, patch_size, window_size, stage)
    return view.figure
