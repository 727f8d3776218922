"""The explorer every widget shares: labelled controls in a row, a readout, and the figure as an image.

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

from swin_edu.viz.style import figure_png

Draw = Callable[..., tuple[Figure, str]]  # settings -> (figure, readout HTML)
STYLE = {"description_width": "initial"}


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


def int_slider(description: str, value: int, low: int, high: int, step: int = 1) -> widgets.IntSlider:
    """A labelled integer slider."""
    return widgets.IntSlider(
        value=value, min=low, max=high, step=step, description=description, style=STYLE, continuous_update=False
    )


def dropdown(description: str, value, options) -> widgets.Dropdown:
    """A labelled drop-down list."""
    return widgets.Dropdown(value=value, options=options, description=description, style=STYLE)


def limit_tokens(window_size: widgets.IntSlider, *token_sliders: widgets.IntSlider) -> None:
    """Keep token sliders within the M*M tokens of a window (observed before the explorer's own redraw)."""

    def update(change: dict) -> None:
        for slider in token_sliders:
            slider.max = change["new"] ** 2 - 1

    window_size.observe(update, names="value")
