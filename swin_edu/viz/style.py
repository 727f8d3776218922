"""What every explorer figure shares: colour-blind-safe colours, a white figure, grids, pixels for tests.

Colours come from the Okabe-Ito palette (distinguishable with every common colour-vision deficiency) and from
the perceptually uniform colour maps viridis and cividis. Nothing is told by colour alone: regions carry their
label, wrapped areas a hatch, and lines differ in style as well as colour. Figures have a white background, so
they read the same in JupyterLab's light and dark themes.
"""

from __future__ import annotations

import io
from functools import lru_cache

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.cm import ScalarMappable
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.colors import ListedColormap, Normalize
from matplotlib.figure import Figure
from matplotlib.path import Path
from matplotlib.textpath import TextPath
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullLocator
from matplotlib.transforms import Affine2D, IdentityTransform, Transform, blended_transform_factory

# Okabe & Ito (2008), "Color Universal Design"
OKABE_ITO: dict[str, str] = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
    "black": "#000000",
    "grey": "#999999",
}
# nine categories (the nine regions of a shifted map): the eight Okabe-Ito colours but black, plus two greys
CATEGORY_COLORS: tuple[str, ...] = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#999999",
    "#DDDDDD",
)
CATEGORY_CMAP = ListedColormap(CATEGORY_COLORS, name="okabe_ito_categories")
SEQUENTIAL_CMAP = "viridis"
SIGNED_CMAP = "cividis"  # for signed values (biases, gradients): uniform in lightness, colour-blind safe


def new_figure(width: float, height: float) -> Figure:
    """A figure with a white background and an Agg canvas: no pyplot, no global state, works headless.

    No layout engine: each plot places its axes with ``subplots_adjust``, which keeps a redraw fast.
    """
    figure = Figure(figsize=(width, height), facecolor="white")
    FigureCanvasAgg(figure)
    return figure


def draw_grid(
    ax: Axes, step: float, height: float, width: float, offset: float = 0.0, origin: float = 0.0, **line_style
) -> None:
    """Lines every ``step`` units, shifted by ``offset``, across ``height x width`` units starting at ``origin``.

    For an ``imshow`` of cells (centres at integers) pass ``origin=-0.5``.
    """
    rows = origin + np.arange(offset % step, height + 1e-9, step)
    cols = origin + np.arange(offset % step, width + 1e-9, step)
    ax.hlines(rows, origin, origin + width, **line_style)
    ax.vlines(cols, origin, origin + height, **line_style)


def label_cells(
    ax: Axes, values: np.ndarray, fontsize: float = 7.0, fmt: str = "{}", color: str = "black", first: float = 0.0
) -> PathCollection:
    """Write each cell's value at its centre on an ``imshow`` of ``values`` ``(rows, cols)``.

    ``first`` is the data coordinate of the centre of cell (0, 0) on both axes (0 for a default ``imshow``).

    All the numbers are one artist: the outlines of their glyphs in a single collection, placed like the
    markers of a scatter plot. A ``Text`` per cell looks the same but costs about a millisecond each to lay
    out and draw, and an 8x8 map has 64 of them.

    Returns:
        the collection; ``cell_label_paths(values)`` gives the outlines it draws, in the same order.
    """
    rows, cols = np.indices(values.shape)  # (rows, cols) each
    offsets = first + np.column_stack([cols.ravel(), rows.ravel()])  # (cells, 2): x, y of each centre
    return text_glyphs(ax, offsets, [fmt.format(value) for value in values.flat], fontsize, color=color)


def text_glyphs(
    ax: Axes,
    offsets: np.ndarray,
    texts: list[str],
    fontsize: float = 7.0,
    offset_transform: Transform | None = None,
    color: str = "black",
) -> PathCollection:
    """Short texts drawn as one collection of glyph outlines, centred on ``offsets`` ``(n, 2)``.

    Fast to draw and to change (``set_text_glyphs``): the explorers use it for cell labels and for tick labels
    that move with a setting. ``offset_transform`` places the offsets (data coordinates by default).
    """
    labels = PathCollection(
        [glyph_outline(text, fontsize) for text in texts],
        sizes=[1.0],  # path units are points, as for scatter markers
        offsets=np.asarray(offsets, dtype=float).reshape(-1, 2),
        offset_transform=offset_transform or ax.transData,
        facecolors=color,
        edgecolors="none",
        zorder=3,  # above grid lines, as text is
    )
    labels.set_transform(IdentityTransform())
    labels.fontsize = fontsize
    ax.add_collection(labels, autolim=False)
    return labels


def set_text_glyphs(labels: PathCollection, offsets: np.ndarray, texts: list[str]) -> None:
    """Replace the texts of a ``text_glyphs`` collection and where they sit."""
    labels.set_paths([glyph_outline(text, labels.fontsize) for text in texts])
    labels.set_offsets(np.asarray(offsets, dtype=float).reshape(-1, 2))


def cell_label_paths(values: np.ndarray, fontsize: float = 7.0, fmt: str = "{}") -> list[Path]:
    """The outline of every cell's label, row by row (what ``label_cells`` draws)."""
    return [glyph_outline(fmt.format(value), fontsize) for value in values.flat]


@lru_cache(maxsize=1024)
def glyph_outline(text: str, fontsize: float) -> Path:
    """The outline of ``text`` in the default font, in points, centred on (0, 0)."""
    path = TextPath((0, 0), text, size=fontsize)
    if len(path.vertices) == 0:
        return path  # a blank
    # the box of the control points: as good for centring as the exact extents, and cheap (the exact ones walk
    # every Bezier curve: 40 ms for a title)
    (x0, y0), (x1, y1) = path.vertices.min(0), path.vertices.max(0)
    return path.transformed(Affine2D().translate(-(x0 + x1) / 2, -(y0 + y1) / 2))


def cell_squares(cells: np.ndarray) -> np.ndarray:
    """The corners of unit cells centred at ``cells`` ``(n, 2)`` (x, y): ``(n, 4, 2)``."""
    corners = np.array([(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)])  # (4, 2), around a centre
    return np.asarray(cells, dtype=float).reshape(-1, 1, 2) + corners


def cell_outlines(cells: np.ndarray, **style) -> PolyCollection:
    """One artist outlining unit cells: ``cells`` ``(n, 2)`` holds the (x, y) centre of each (move them with
    ``set_verts(cell_squares(...))``)."""
    return PolyCollection(cell_squares(cells), facecolors="none", **style)


def text_box(ax: Axes, x: float, y: float, text: str, fontsize: float = 9.0) -> None:
    """A label on a white rounded box, readable over any image."""
    ax.text(
        x,
        y,
        text,
        ha="center",
        va="center",
        fontsize=fontsize,
        fontweight="bold",
        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": "black", "alpha": 0.85},
    )


def figure_pixels(figure: Figure) -> np.ndarray:
    """The rendered figure as an RGBA array ``(height, width, 4)`` (tests compare these)."""
    figure.canvas.draw()
    return np.asarray(figure.canvas.buffer_rgba()).copy()


def figure_png(figure: Figure, dpi: float = 100) -> bytes:
    """The figure as PNG bytes (what the widgets show), compressed lightly: fast to make, fine to send."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, facecolor=figure.get_facecolor(), pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def log_axis(ax: Axes, which: str = "y") -> None:
    """A log scale with plain tick labels (``1e+08``) at the decades and no minor ticks.

    Plain labels are faster to draw than mathtext; the eight unlabelled minor ticks per decade would be most of
    the artists of a figure (a tick costs about as much as a text), for little help in reading it.
    """
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:.0e}"))
    axis.set_minor_locator(NullLocator())


def cell_ticks(ax: Axes, height: int, width: int, step: int) -> None:
    """Ticks every ``step`` cells on an ``imshow`` of ``height x width`` cells (explicit ticks draw fast)."""
    ax.set_xticks(np.arange(0, width, step))
    ax.set_yticks(np.arange(0, height, step))


class GlyphTitle:
    """An axes title that changes often, drawn as glyph outlines (one path per line): about ten times faster to
    draw than a ``Text``, which lays out and rasterises its glyphs on every draw. ``ax.get_title()`` still reads
    it (the title ``Text`` holds the string, hidden)."""

    def __init__(self, ax: Axes, fontsize: float = 10.0, pad: float = 6.0) -> None:
        self.ax, self.fontsize, self.pad = ax, fontsize, pad
        self.text = ax.set_title(" ", fontsize=fontsize)
        self.text.set_visible(False)
        self.glyphs = text_glyphs(ax, np.zeros((0, 2)), [], fontsize, offset_transform=ax.transAxes)
        self.glyphs.set_clip_on(False)

    def set(self, title: str) -> None:
        """Show ``title`` (lines separated by newlines) centred above the axes."""
        self.text.set_text(title)
        lines = title.split("\n")[::-1]  # bottom line first
        paths = [
            glyph_outline(line, self.fontsize).transformed(
                Affine2D().translate(0, self.pad + self.fontsize * (0.6 + 1.25 * row))
            )
            for row, line in enumerate(lines)
        ]
        self.glyphs.set_paths(paths)
        self.glyphs.set_offsets(np.tile([0.5, 1.0], (len(paths), 1)))


def fit_cells(ax, height: int, width: int) -> None:
    """Limits that show ``height x width`` cells square and centred in the axes' fixed box (what
    ``adjustable="datalim"`` does at draw time; the explorer redraws without drawing the axes)."""
    box = ax.get_position()
    box_ratio = (box.height * ax.figure.get_figheight()) / (box.width * ax.figure.get_figwidth())
    span_x, span_y = max(width, height / box_ratio), max(height, width * box_ratio)
    ax.set_xlim(width / 2 - 0.5 - span_x / 2, width / 2 - 0.5 + span_x / 2)
    ax.set_ylim(height / 2 - 0.5 + span_y / 2, height / 2 - 0.5 - span_y / 2)


def glyph_ticks(ax, fontsize: float) -> tuple:
    """Tick labels below and left of ``ax`` drawn as glyph outlines (they move with the setting: fast to redraw)."""
    below = blended_transform_factory(ax.transData, ax.transAxes)
    left = blended_transform_factory(ax.transAxes, ax.transData)
    ticks = (
        text_glyphs(ax, np.zeros((0, 2)), [], fontsize, below),
        text_glyphs(ax, np.zeros((0, 2)), [], fontsize, left),
    )
    for tick in ticks:
        tick.set_clip_on(False)
    ax.set_xticks([])
    ax.set_yticks([])
    return ticks


def set_glyph_ticks(ticks: tuple, xs, ys, x_names: list[str], y_names: list[str]) -> None:
    """Put ``glyph_ticks`` at data positions ``xs`` (below) and ``ys`` (left), named ``x_names``, ``y_names``."""
    x_ticks, y_ticks = ticks
    set_text_glyphs(x_ticks, [(x, -0.05) for x in xs], x_names)
    set_text_glyphs(y_ticks, [(-0.05, y) for y in ys], y_names)


class GlyphColorbar:
    """A colour bar whose range follows the setting: the bar itself is fixed (0 to 1, drawn once) and its numbers
    are glyph outlines, so that a new range costs a frame, not a figure. Images shown against it map
    ``set(low, high)``'s range with ``image.set_clim(low, high)``."""

    def __init__(self, ax, cmap: str, label: str, fontsize: float = 8.0, **colorbar_style) -> None:
        axes = ax if isinstance(ax, list) else [ax]
        bar = axes[0].figure.colorbar(ScalarMappable(Normalize(0, 1), cmap), ax=axes, **colorbar_style)
        bar.set_ticks([])
        bar.set_label(label, labelpad=6 * fontsize)  # room for the numbers, which the label cannot measure
        self.ax, self.fontsize = bar.ax, fontsize
        right = blended_transform_factory(bar.ax.transAxes, bar.ax.transData)
        self.glyphs = text_glyphs(bar.ax, np.zeros((0, 2)), [], fontsize, right)
        self.glyphs.set_clip_on(False)

    def set(self, low: float, high: float) -> None:
        """Number the bar from ``low`` (bottom) to ``high`` (top) at a few round values."""
        values = [value for value in MaxNLocator(5).tick_values(low, high) if low <= value <= high]
        paths = [_left_aligned(glyph_outline(f"{value:.3g}", self.fontsize), pad=3.0) for value in values]
        self.glyphs.set_paths(paths)
        self.glyphs.set_offsets([(1.0, (value - low) / (high - low)) for value in values])


def _left_aligned(path: Path, pad: float) -> Path:
    """A centred glyph outline moved right so that it starts ``pad`` points right of its offset."""
    if len(path.vertices) == 0:
        return path
    return path.transformed(Affine2D().translate(path.vertices[:, 0].max() + pad, 0))
