"""Explorer 8: one token's journey, from a pixel of a photo through every block to the pooled features.

Three panels: the photo (the pixel, its token, what it may attend to, its receptive field), the token map as the
step sees it (rolled in SW-MSA blocks; windows, regions, the tokens the mask leaves open or blocks) and how many
patches the receptive field holds after each step. The steps come from ``swin_edu.token_journey``.

``TokenJourneyFigure`` builds the figure once; ``show`` moves its ``dynamic`` artists in place, so that the
explorer can render the rest once and draw only those on it (blitting). ``plot_token_journey`` is the one-call
version for static figures.
"""

from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from swin_edu.images import sample_photo_array
from swin_edu.model import SwinConfig
from swin_edu.token_journey import JourneyStep, journey_steps
from swin_edu.viz.style import CATEGORY_CMAP, OKABE_ITO, GlyphTitle, log_axis, new_figure, set_text_glyphs, text_glyphs

VIEW_WINDOWS = 3  # the map panel shows at most 3 x 3 windows around the token (a 56x56 map is too fine to read)


class TokenJourneyFigure:
    """The journey figure, built once for every pixel and step: ``show(pixel, step)`` updates it in place."""

    image_format = "jpeg"  # for an explorer: a third of it is a photo; JPEG encodes several times faster than PNG

    def __init__(self, config: SwinConfig | None = None, photo: str = "chelsea") -> None:
        self.config = config = config or SwinConfig()
        size, grid = config.img_size, config.stage_sizes()[0]
        self.figure = figure = new_figure(12.0, 4.5)
        self.photo_ax, self.map_ax, self.growth_ax = figure.subplots(1, 3, width_ratios=[1, 1, 1.2])
        figure.subplots_adjust(left=0.03, right=0.98, bottom=0.24, top=0.8, wspace=0.22)
        self.title = figure.suptitle("", fontsize=11)  # holds the text; drawn as glyph outlines (fast to change)
        self.title.set_visible(False)
        self.title_glyphs = text_glyphs(self.photo_ax, np.zeros((0, 2)), [], 11, offset_transform=figure.transFigure)
        self.title_glyphs.set_clip_on(False)

        ax = self.photo_ax  # in image pixels
        ax.imshow(sample_photo_array(size, photo), interpolation="nearest")
        self.dim = ax.imshow(np.zeros((*grid, 4)), extent=(-0.5, size - 0.5, size - 0.5, -0.5), interpolation="nearest")
        self.seen = ax.add_patch(
            Rectangle(
                (0, 0),
                1,
                1,
                fill=False,
                edgecolor=OKABE_ITO["orange"],
                linewidth=2.5,
                linestyle="--",
                label="what it may attend to",
            )
        )
        self.cell = ax.add_patch(Rectangle((0, 0), 1, 1, fill=False, edgecolor="black", linewidth=2, label="its token"))
        (self.pixel_marker,) = ax.plot(
            [],
            [],
            marker="*",
            markersize=15,
            markerfacecolor="white",
            markeredgecolor="black",
            linestyle="none",
            label="the pixel",
        )
        ax.set_axis_off()
        ax.set_title("The photo: the pixel (star); dimmed:\noutside the receptive field", fontsize=10)
        outlines = [  # lines in the legend: a dashed and a solid outline differ there too, not only in colour
            Line2D([], [], color=OKABE_ITO["orange"], linewidth=2.5, linestyle="--", label=self.seen.get_label()),
            Line2D([], [], color="black", linewidth=2, label=self.cell.get_label()),
        ]
        ax.legend(
            handles=[*outlines, self.pixel_marker],
            loc="upper center",
            bbox_to_anchor=(0.5, -0.02),
            ncol=2,
            fontsize=8,
            framealpha=1,
        )

        ax = self.map_ax  # in tokens of the map shown
        self.regions = ax.imshow(
            np.zeros((1, 1)),
            cmap=CATEGORY_CMAP.with_extremes(under="white"),
            vmin=-0.5,
            vmax=8.5,
            interpolation="nearest",
            alpha=0.6,
        )
        self.grid_lines = ax.add_collection(LineCollection([], colors="black", linewidths=1.0))
        self.window_box = ax.add_patch(
            Rectangle((0, 0), 1, 1, fill=False, edgecolor="black", linewidth=3, linestyle="--", label="its window")
        )
        # the regions of its window, named where they lie: labels on white squares, as glyph outlines
        self.region_marks = ax.scatter([], [], s=160, marker="s", c="white", edgecolors="none", alpha=0.8, zorder=4)
        self.region_names = text_glyphs(ax, np.zeros((0, 2)), [], fontsize=9)
        self.region_names.set_zorder(5)
        (self.open_marks,) = ax.plot([], [], "o", markerfacecolor="white", markeredgecolor="black", label="may attend")
        (self.blocked_marks,) = ax.plot(
            [], [], "x", color="black", markeredgewidth=1.5, label="blocked by the mask (-100)"
        )
        (self.token_marker,) = ax.plot(
            [], [], marker="*", markerfacecolor="white", markeredgecolor="black", linestyle="none", label="the token"
        )
        ax.set_xticks([])  # no ticks: the title gives the rows and columns shown (tick labels would cost most of a
        ax.set_yticks([])  # frame to lay out again at every step)
        self.map_title = GlyphTitle(ax)
        handles = [self.window_box, self.token_marker, self.open_marks, self.blocked_marks]
        box = ax.get_position()  # a figure legend under the panel: it never changes, so it is cached with the rest
        figure.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=((box.x0 + box.x1) / 2, 0.2),
            ncol=2,
            fontsize=8,
            framealpha=1,
        )

        ax = self.growth_ax
        (self.growth_line,) = ax.plot([], [], "o-", color=OKABE_ITO["blue"], markersize=4, label="every step")
        (self.growth_now,) = ax.plot(
            [], [], "D", color=OKABE_ITO["vermillion"], markersize=10, zorder=5, label="this step"
        )  # above the spines, as blitting draws it
        ax.axhline(
            grid[0] * grid[1], color="black", linestyle=":", linewidth=1, label="the whole image", zorder=1.9
        )  # under the (dynamic) curve
        log_axis(ax)
        ax.set_ylim(0.7, grid[0] * grid[1] * 1.6)
        ax.set_ylabel("patches in the receptive field")
        ax.set_title("How the receptive field grows, step by step", fontsize=10)
        # this step's count: right, above the legend (the curve is high there or low further left), on a white box
        box = Rectangle((0.2, 0.31), 0.78, 0.14, transform=ax.transAxes, facecolor="white", edgecolor="black")
        ax.add_patch(box)
        self.growth_text = text_glyphs(ax, np.zeros((0, 2)), [], fontsize=9, offset_transform=ax.transAxes)
        ax.set_xlabel("step (stage.block; M = patch merging)")
        ax.legend(loc="lower right", fontsize=8)

        names = [step.name for step in journey_steps((0, 0), config)]  # the same steps for every pixel
        ax.set_xlim(-0.5, len(names) - 0.5)
        ax.set_xticks(np.arange(len(names)), names, rotation=90, fontsize=8)
        # what ``show`` changes; an explorer renders the rest once and draws only these on it (blitting)
        self.dynamic: list[Artist] = [
            self.title_glyphs,
            self.dim,
            self.seen,
            self.cell,
            self.pixel_marker,
            self.map_ax,
            self.growth_line,
            self.growth_now,
            self.growth_text,
        ]

    def show(self, pixel: tuple[int, int], step: int) -> Figure:
        """Set the figure to step ``step`` (0 = the patch, ..., the last = pooling) of the token holding ``pixel``."""
        steps = journey_steps(pixel, self.config)
        if not 0 <= step < len(steps):
            raise ValueError(f"step must be 0 to {len(steps) - 1} (patch, blocks, mergings, pooling), got {step}")
        now = steps[step]
        title = f"Step {step} of {len(steps) - 1}: {now.headline()}"
        self.title.set_text(title)
        set_text_glyphs(self.title_glyphs, [(0.5, 0.955)], [title])
        self._show_photo(pixel, now)
        self._show_map(now)
        self.growth_line.set_data(np.arange(len(steps)), [int(step.field.sum()) for step in steps])
        count, total = int(now.field.sum()), now.field.size
        self.growth_now.set_data([step], [count])
        set_text_glyphs(
            self.growth_text, [(0.59, 0.38)], [f"this step: {count} of {total} patches ({count / total:.0%})"]
        )
        return self.figure

    def _show_photo(self, pixel: tuple[int, int], now: JourneyStep) -> None:
        dim = np.zeros((*now.field.shape, 4))  # (grid_h, grid_w, RGBA)
        dim[~now.field, 3] = 0.7  # black at 70% outside the field
        self.dim.set_data(dim)
        token_px = self.config.patch_size * 2 ** (now.stage - (now.kind == "merge"))  # pixels a token of the map covers
        token = now.rolled_token if now.kind == "merge" else now.token
        self.cell.set_bounds(*_pixel_box(np.ones((1, 1), dtype=bool), token, token_px, self.config.img_size))
        self.seen.set_bounds(*_pixel_box(now.attends, (0, 0), token_px, self.config.img_size))
        self.pixel_marker.set_data([pixel[1]], [pixel[0]])

    def _show_map(self, now: JourneyStep) -> None:
        labels, window_size = now.labels, self.config.window_size
        height, width = labels.shape
        self.regions.set_data(labels)
        self.regions.set_extent((-0.5, width - 0.5, height - 0.5, -0.5))
        spacing = 2 if now.kind == "merge" else window_size
        lines = [[(-0.5, y), (width - 0.5, y)] for y in np.arange(-0.5, height, spacing)]
        self.grid_lines.set_segments(lines + [[(x, -0.5), (x, height - 0.5)] for x in np.arange(-0.5, width, spacing)])

        rolled = np.roll(now.attends, (-now.shift[0], -now.shift[1]), axis=(0, 1))  # as the block sees them
        in_window = now.window_cells(window_size)
        if now.kind == "block":
            top, left = (
                (now.rolled_token[0] // window_size) * window_size,
                (now.rolled_token[1] // window_size) * window_size,
            )
            self.window_box.set_bounds(left - 0.5, top - 0.5, window_size, window_size)
        self.window_box.set_visible(now.kind == "block")
        blocked = in_window.copy()
        blocked[: rolled.shape[0], : rolled.shape[1]] &= ~rolled
        named = []  # (place, label) of the regions of its window, where they lie (none without a roll)
        for label in range(9) if now.shift != (0, 0) else []:
            rows, cols = np.nonzero(in_window & (labels == label))
            if rows.size:
                named.append(((cols.mean(), rows.mean()), str(label)))
        set_text_glyphs(self.region_names, [place for place, _ in named], [text for _, text in named])
        self.region_marks.set_offsets(np.array([place for place, _ in named]).reshape(-1, 2))

        view = min(max(height, width), VIEW_WINDOWS * window_size)  # cells shown along each axis
        top, left = (_view_start(now.rolled_token[i], size, view, window_size) for i, size in enumerate(labels.shape))
        marker_size = min(9.0, 200.0 / view)
        for line, cells in ((self.open_marks, rolled), (self.blocked_marks, blocked)):
            rows, cols = np.nonzero(cells)
            line.set_data(cols, rows)
            line.set_markersize(marker_size)
        self.token_marker.set_data([now.rolled_token[1]], [now.rolled_token[0]])
        self.token_marker.set_markersize(1.8 * marker_size + 4)
        bottom, right = min(top + view, height), min(left + view, width)
        self.map_ax.set_xlim(left - 0.5, right - 0.5)
        self.map_ax.set_ylim(bottom - 0.5, top - 0.5)
        what = {
            "patch": f"windows of {window_size}x{window_size} tokens",
            "merge": "each 2x2 group becomes one token",
            "pool": "every token is averaged",
            "block": f"its window {now.window}" + (" after the roll" if now.shift != (0, 0) else ""),
        }[now.kind]
        shown_stage, (map_height, map_width) = now.stage - (now.kind == "merge"), now.attends.shape
        padded = ", padded" if (height, width) != (map_height, map_width) else ""
        self.map_title.set(
            f"Stage {shown_stage + 1} ({map_height}x{map_width}{padded}), "
            f"rows {top}-{bottom - 1}, cols {left}-{right - 1}:\n{what}"
        )


def _view_start(position: int, size: int, view: int, window_size: int) -> int:
    """First cell of a ``view``-cell stretch of a ``size``-cell axis: the token's window in the middle, kept inside."""
    window_start = (position // window_size) * window_size
    return int(np.clip(window_start - (view - window_size) // 2, 0, max(size - view, 0)))


def _pixel_box(
    cells: np.ndarray, offset: tuple[int, int], cell_px: int, size: int
) -> tuple[float, float, float, float]:
    """``(x, y, width, height)`` in image pixels of the box around the True ``cells``, moved by ``offset`` cells."""
    rows, cols = np.nonzero(cells)
    top, left = (rows.min() + offset[0]) * cell_px, (cols.min() + offset[1]) * cell_px
    bottom = min((rows.max() + offset[0] + 1) * cell_px, size)
    right = min((cols.max() + offset[1] + 1) * cell_px, size)
    return left - 0.5, top - 0.5, right - left, bottom - top


def plot_token_journey(
    pixel: tuple[int, int] = (214, 210), step: int = 2, config: SwinConfig | None = None, photo: str = "chelsea"
) -> Figure:
    """One step of the journey of the token holding ``pixel`` of the photo (see ``TokenJourneyFigure``).

    Args:
        pixel: ``(row, col)`` in the ``img_size x img_size`` photo (224 for Swin-T); the default lies near the
            bottom-right corner, where the shifted window holds four regions and the mask blocks most of it.
        step: 0 = patch embedding, then every block and patch merging in order, the last = average pooling
            (16 for Swin-T).
        config: the architecture; Swin-T at 224 by default. No model is built.
        photo: one of ``swin_edu.images.PHOTOS``.
    """
    return TokenJourneyFigure(config, photo).show(pixel, step)
