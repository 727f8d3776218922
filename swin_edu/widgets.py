"""Live explorers for JupyterLab: labelled controls, a readout, and the figure, redrawn on every change.

Each function returns an :class:`Explorer` (an ``ipywidgets.VBox``) around one drawing function of
``swin_edu.viz``. Everything the explorer shows is that function's figure; an impossible setting (a window
larger than the map, a shift not smaller than the window) shows its reason in the readout instead.

For tests and notebooks, an explorer exposes ``controls`` (name -> widget), ``figure`` (the current matplotlib
Figure), ``image`` (the PNG widget), ``readout`` (HTML), ``message`` (the refusal, or "") and ``redraws``.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from swin_edu.model import SwinTransformer
from swin_edu.receptive_field import MODES, block_positions
from swin_edu.viz import (
    plot_complexity,
    plot_mask,
    plot_receptive_field,
    plot_relative_position,
    plot_shift,
    plot_windows,
)
from swin_edu.viz.mask import describe_entry, separated_pairs
from swin_edu.viz.position import random_attention
from swin_edu.viz.receptive_field import cached_exact_field, default_model, token_on_stage
from swin_edu.viz.style import figure_png
from swin_edu.viz.windows import window_layout

Draw = Callable[..., tuple[Figure, str]]  # settings -> (figure, readout HTML)
STYLE = {"description_width": "initial"}
MODE_LABELS = {"swin": "Swin (shifted)", "wmsa": "W-MSA only", "vit": "ViT (global)"}


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Let torch use a single CPU thread for a while (then restore the setting).

    An explorer's tensors are small (a 64 x 49 x 49 mask at most, or the gradient of a narrow model). Split
    over two threads on a busy 2-core CPU, a step waits for the second thread to be scheduled: the mask of a
    56x56 map takes about 30 ms that way and under 1 ms on one thread.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class Explorer(widgets.VBox):
    """Controls in a row, a readout, and the figure as a PNG image; any control change redraws."""

    def __init__(self, controls: dict[str, widgets.ValueWidget], draw: Draw) -> None:
        self.controls = controls
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.figure: Figure | None = None
        self.message = ""
        self.redraws = 0
        self._draw = draw
        for control in controls.values():
            control.observe(self._on_change, names="value")
        row = widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([row, self.readout, self.image])
        self.redraw()

    def values(self) -> dict:
        """The current setting of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self) -> None:
        """Draw the figure for the current settings, or show why they are impossible."""
        try:
            with one_torch_thread():
                figure, readout = self._draw(**self.values())
        except ValueError as error:
            self.message = str(error)
            self.readout.value = f"<p style='color:#D55E00'><b>Not possible:</b> {html.escape(self.message)}</p>"
            return
        self.message = ""
        self.figure = figure
        self.readout.value = readout
        self.image.value = figure_png(figure)
        self.redraws += 1

    def _on_change(self, _change: dict) -> None:
        self.redraw()


def _slider(description: str, value: int, low: int, high: int, step: int = 1) -> widgets.IntSlider:
    return widgets.IntSlider(value=value, min=low, max=high, step=step, description=description, style=STYLE, continuous_update=False)


def _dropdown(description: str, value, options) -> widgets.Dropdown:
    return widgets.Dropdown(value=value, options=options, description=description, style=STYLE)


def window_explorer() -> Explorer:
    """A photo with its patch grid and M x M windows; stage 1-4 makes the windows grow in pixels."""

    def draw(image_size: int, patch_size: int, window_size: int, stage: int) -> tuple[Figure, str]:
        layout = window_layout(image_size, patch_size, window_size, stage)
        readout = (
            f"<b>{layout.windows}</b> windows of <b>{layout.tokens_per_window}</b> tokens "
            f"({layout.map_height}x{layout.map_width} tokens, C = {layout.channels}) &nbsp;|&nbsp; "
            f"&Omega;(MSA) = {layout.cost_msa:.3g}, &Omega;(W-MSA) = {layout.cost_wmsa:.3g} multiply-adds: "
            f"W-MSA costs {layout.cost_wmsa / layout.cost_msa:.1%} of global MSA"
        )
        return plot_windows(image_size, patch_size, window_size, stage), readout

    controls = {
        "image_size": _slider("image size (px)", 224, 64, 448, 16),
        "patch_size": _dropdown("patch size (px)", 4, [2, 4, 8, 16]),
        "window_size": _slider("window M (tokens)", 7, 2, 14),
        "stage": _slider("stage", 1, 1, 4),
    }
    return Explorer(controls, draw)


def shift_explorer() -> Explorer:
    """The map before and after ``torch.roll`` by -s, the wrapped regions A, B, C, and the roll back."""

    def draw(height: int, width: int, window_size: int, shift: int) -> tuple[Figure, str]:
        figure = plot_shift(height, width, window_size, shift)
        readout = (
            f"roll by ({-shift}, {-shift}): the top {shift} rows and left {shift} columns wrap to the bottom and right; "
            f"{(height // window_size) * (width // window_size)} whole windows of {window_size}x{window_size}"
        )
        return figure, readout

    controls = {
        "height": _slider("height H", 8, 2, 16),
        "width": _slider("width W", 8, 2, 16),
        "window_size": _slider("window M", 4, 1, 8),
        "shift": _slider("shift s", 2, 0, 7),
    }
    return Explorer(controls, draw)


def mask_explorer() -> Explorer:
    """Region labels and the masks of four windows (default: the seed's 14x14 / 7 / 3 demo); a readout names the
    regions that each -100 separates."""

    def draw(height: int, width: int, window_size: int, shift: int, window: int, query: int, key: int) -> tuple[Figure, str]:
        if window_size > min(height, width) or height % window_size or width % window_size or shift >= window_size:
            plot_mask(height, width, window_size, shift)  # raises the ValueError that explains it
        windows_total = (height // window_size) * (width // window_size)
        tokens = window_size * window_size
        if window >= windows_total:
            raise ValueError(f"there are only {windows_total} windows (0 to {windows_total - 1}), not window {window}")
        if query >= tokens or key >= tokens:
            raise ValueError(f"a window holds {tokens} tokens (0 to {tokens - 1}); query {query}, key {key}")
        first = (window // 4) * 4
        figure = plot_mask(height, width, window_size, shift, tuple(range(first, first + 4)), window, query, key)
        pairs = separated_pairs(height, width, window_size, shift, window)
        listed = "; ".join(f"regions {a} and {b} ({count} entries)" for a, b, count in pairs) or "nothing: one region only"
        readout = (
            f"<b>{html.escape(describe_entry(height, width, window_size, shift, window, query, key))}</b><br>"
            f"In window {window}, -100 separates {listed}."
        )
        return figure, readout

    controls = {
        "height": _slider("height H", 14, 2, 28),
        "width": _slider("width W", 14, 2, 28),
        "window_size": _slider("window M", 7, 1, 28),
        "shift": _slider("shift s", 3, 0, 13),
        "window": _slider("which window", 0, 0, 15),
        "query": _slider("query token", 0, 0, 48),
        "key": _slider("key token", 4, 0, 48),
    }
    _limit_tokens(controls["window_size"], controls["query"], controls["key"])
    return Explorer(controls, draw)


def _limit_tokens(window_size: widgets.IntSlider, *token_sliders: widgets.IntSlider) -> None:
    """Keep token sliders within the M*M tokens of a window (observed before the explorer's own redraw)."""

    def update(change: dict) -> None:
        for slider in token_sliders:
            slider.max = change["new"] ** 2 - 1

    window_size.observe(update, names="value")


def relative_position_explorer(model: SwinTransformer | None = None) -> Explorer:
    """Offsets, the index matrix and one query's bias per head; from ``model``'s own tables when given."""

    def draw(query: int, window_size: int = 7, stage: int = 0, block: int = 0) -> tuple[Figure, str]:
        if model is None:
            attention = random_attention(window_size)
            source = "a freshly initialised layer (std 0.02)"
        else:
            if block >= len(model.layers[stage].blocks):
                raise ValueError(f"stage {stage} has {len(model.layers[stage].blocks)} blocks")
            attention = model.layers[stage].blocks[block].attn
            source = f"model.layers[{stage}].blocks[{block}].attn"
        side = 2 * attention.window_size - 1
        readout = (
            f"query token {query} = (row {query // attention.window_size}, col {query % attention.window_size}); "
            f"bias table {side * side} x {attention.num_heads} heads from {source}"
        )
        return plot_relative_position(attention, query), readout

    if model is None:
        controls = {"window_size": _slider("window M", 7, 2, 9), "query": _slider("query token", 24, 0, 48)}
        _limit_tokens(controls["window_size"], controls["query"])
    else:
        window = model.config.window_size
        controls = {
            "stage": _slider("stage (0-based)", 0, 0, len(model.layers) - 1),
            "block": _slider("block (0-based)", 0, 0, max(model.config.depths) - 1),
            "query": _slider("query token", window * window // 2, 0, window * window - 1),
        }
    return Explorer(controls, draw)


def receptive_field_explorer(model: SwinTransformer | None = None) -> Explorer:
    """The exact receptive field after block k beside the model's effective field; switch shift / no shift / ViT."""
    model = model or default_model()
    depths = model.config.depths
    grid = model.config.img_size // model.config.patch_size

    def draw(block_number: int, mode: str, row: int, col: int, effective: bool) -> tuple[Figure, str]:
        figure = plot_receptive_field(block_number, (row, col), mode, model, show_effective=effective)
        stage, block = block_positions(depths)[block_number - 1]
        field = cached_exact_field(token_on_stage((row, col), stage), stage, block, model.config, mode)
        readout = (
            f"block {block_number} = stage {stage + 1}, block {block + 1}; the token holding patch ({row}, {col}) "
            f"can see <b>{int(field.sum())}</b> of {field.size} patches"
        )
        return figure, readout

    controls = {
        "block_number": _slider("after block", 2, 1, sum(depths)),
        "mode": widgets.ToggleButtons(
            options=[(MODE_LABELS[mode], mode) for mode in MODES], value="swin", description="attention", style=STYLE
        ),
        "row": _slider("patch row", 20, 0, grid - 1),
        "col": _slider("patch column", 17, 0, grid - 1),
        "effective": widgets.Checkbox(value=True, description="show the effective field", style=STYLE),
    }
    return Explorer(controls, draw)


def complexity_explorer(channels: int = 96, window_size: int = 7) -> Explorer:
    """Measured FLOPs and wall time of one W-MSA layer and one global MSA layer as the image grows.

    The first draw of a setting measures it (a few seconds for C = 96, M = 7); later draws reuse the numbers.
    """

    def draw(channels: int, window_size: int) -> tuple[Figure, str]:
        sides = tuple(window_size * k for k in (2, 4, 6, 8))
        figure = plot_complexity(sides, channels, window_size)
        readout = (
            f"maps of {', '.join(f'{s}x{s}' for s in sides)} tokens (images of {', '.join(str(4 * s) for s in sides)} px), "
            f"C = {channels}, M = {window_size}; measured once per setting, then cached"
        )
        return figure, readout

    controls = {
        "channels": _dropdown("channels C", channels, [48, 96, 192]),
        "window_size": _dropdown("window M", window_size, [4, 7]),
    }
    return Explorer(controls, draw)
