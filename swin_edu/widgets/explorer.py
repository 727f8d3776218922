"""The explorer every widget shares: labelled controls in a row, a readout, and the figure as an image.

A control moved by the hand changes many times a second (``continuous_update=True``), so a redraw must take a
few tens of milliseconds: an explorer keeps a figure per *layout* (what fixes its axes, ticks and titles) and
draws only what moved on it (``blitting.py`` says how and why). Views (with their backgrounds) are remembered
per layout, and PNGs per setting, so dragging back is free. The controls come from ``controls.py``.

For tests and notebooks, an explorer exposes ``controls`` (name -> widget), ``figure`` (the current matplotlib
Figure), ``image`` (the PNG widget), ``readout`` (HTML), ``message`` (the refusal, or "") and ``redraws``.
Displayed in a notebook, it also offers a PNG of its current view: what a notebook shows before it is run
(GitHub, nbconvert, an untrusted notebook), while a running kernel shows the live widget.
"""

from __future__ import annotations

import asyncio
import base64
import gc
import html
import re
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from swin_edu.widgets.blitting import Blitter, View
from swin_edu.widgets.controls import check_unmoved

VIEWS_KEPT = 12  # layouts remembered per explorer (a figure and its background each, about 2 MB)
FRAMES_KEPT = 256  # PNGs remembered per explorer (about 80 KB each)
REST_SECONDS = 0.3  # after the last change of a control, the controls "rest" (a slider is let go)


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
    """Controls in a row, a readout, and the figure as a PNG image; any control change redraws.

    Args:
        controls: name -> widget; the names are the keyword arguments of ``layout`` and ``show``.
        layout: settings -> what a view's axes, ticks and fixed texts depend on (a hashable); raises a ValueError
            that says why when the settings are impossible.
        build: a layout -> a new :class:`View` for it.
        show: (view, settings) -> the readout (HTML), after updating the view's dynamic artists for the settings.
        depends_on: () -> what else the figure depends on (e.g. a model's weights): views and frames made for
            another value are not reused.
        constrain: controls -> None, run first on every change: keeps the ranges of the controls to what can be
            drawn (a token slider within the M*M tokens of the window); the changes it makes draw nothing. Run
            once on the controls as built: a value they were built with that it rules out is a ValueError.
        remember_frames: keep the PNG of each setting (False when a frame can change for the same setting).

    ``resting`` is False while a control moves (changes came less than ``REST_SECONDS`` apart, in a running
    kernel); a ``show`` that needs slow work can skip it then and ask for ``redraw_when_resting()``. Without an
    event loop (a script, a test) every redraw is at rest.
    """

    def __init__(
        self,
        controls: dict[str, widgets.ValueWidget],
        layout: Callable[..., Hashable],
        build: Callable[[Hashable], View],
        show: Callable[..., str],
        depends_on: Callable[[], Hashable] = lambda: None,
        constrain: Callable[[dict[str, widgets.ValueWidget]], None] = lambda controls: None,
        remember_frames: bool = True,
    ) -> None:
        self.controls = controls
        self.readout = widgets.HTML()
        self.image = widgets.Image(format="png")
        self.figure: Figure | None = None
        self.message = ""
        self.redraws = 0
        self._layout, self._build, self._show, self._depends_on = layout, build, show, depends_on
        self._views: OrderedDict[Hashable, Blitter] = OrderedDict()
        self._frames: OrderedDict[Hashable, bytes] = OrderedDict()
        self._shown: Blitter | None = None
        self._constrain, self._constraining = constrain, False
        self._remember_frames = remember_frames
        self.resting, self._rest_timer, self._redraw_at_rest = True, None, False
        given = self.values()
        constrain(controls)
        check_unmoved(controls, given)  # a value the caller gave that the other settings rule out: say why
        for control in controls.values():
            control.observe(self._on_change, names="value")
        row = widgets.HBox(list(controls.values()), layout=widgets.Layout(flex_flow="row wrap"))
        super().__init__([row, self.readout, self.image])
        self.redraw()
        # Python's full garbage collection walks every object of the kernel (140 ms here beside an explorer, more
        # beside a model), and comes when the objects that survived the last one have grown by a quarter. Building
        # an explorer makes many: collect now, or the collection falls in the middle of the first drag. (Not when
        # the controls rest: measured in chromium, the next key press then waits for it.)
        gc.collect()

    def values(self) -> dict:
        """The current setting of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self) -> None:
        """Show the figure for the current settings, or grey out the last one and say why they are impossible."""
        settings = self.values()
        try:
            with one_torch_thread():
                png, readout, shown = self._frame(settings)
        except ValueError as error:
            self.message = str(error)
            self.readout.value = f"<p style='color:#D55E00'><b>Not possible:</b> {html.escape(self.message)}</p>"
            if self._shown is not None:
                self.image.value = self._shown.frame(refusal=self.message)
            return
        self.message = ""
        self._shown = shown
        self.figure = shown.view.figure
        self.readout.value = readout
        self.image.format = shown.image_format
        self.image.value = png
        self.redraws += 1

    def prepare(self, settings: list[dict]) -> None:
        """Draw these settings now (a few, each slow to draw the first time), so that showing them later is instant."""
        with one_torch_thread():
            for setting in settings:
                self._frame(setting)
        self._frame(self.values())  # the figure shows the current setting again
        gc.collect()  # as after building (see ``__init__``)

    def _frame(self, settings: dict) -> tuple[bytes, str, Blitter]:
        """PNG, readout and blitter of a setting: its view updated, the PNG remembered or drawn by blitting."""
        depends = self._depends_on()
        layout = (self._layout(**settings), depends)
        blitter = self._views.get(layout)
        if blitter is None:
            blitter = Blitter(self._build(layout[0]))
            self._views[layout] = blitter
            if len(self._views) > VIEWS_KEPT:
                self._views.popitem(last=False)
        self._views.move_to_end(layout)
        readout = self._show(blitter.view, **settings)  # also when the PNG is remembered: `figure` shows the setting
        key = (tuple(settings.items()), depends)
        if not self._remember_frames:
            return blitter.frame(), readout, blitter
        if key in self._frames:
            self._frames.move_to_end(key)
            return self._frames[key], readout, blitter
        png = self._frames[key] = blitter.frame()
        if len(self._frames) > FRAMES_KEPT:
            self._frames.popitem(last=False)
        return png, readout, blitter

    def _on_change(self, _change: dict) -> None:
        if self._constraining:
            return  # a range adjusted by ``constrain``: the change that caused it redraws once, below
        self._constraining = True
        try:
            self._constrain(self.controls)
        finally:
            self._constraining = False
        self._moved()
        self.redraw()

    def _moved(self) -> None:
        """A control moved: not resting until ``REST_SECONDS`` pass without another change."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # no event loop: nothing can wait, every redraw is at rest
        self.resting = False
        if self._rest_timer is not None:
            self._rest_timer.cancel()
        self._rest_timer = loop.call_later(REST_SECONDS, self._rest)

    def _rest(self) -> None:
        self.resting, self._rest_timer = True, None
        if self._redraw_at_rest:
            self._redraw_at_rest = False
            self.redraw()

    def redraw_when_resting(self) -> None:
        """Draw again once the controls rest (from a ``show`` that skipped slow work while they moved)."""
        self._redraw_at_rest = True

    def _repr_mimebundle_(self, **kwargs) -> dict:
        """The live widget, and a picture of the current view for renderers without a kernel (GitHub, nbconvert)."""
        bundle = super()._repr_mimebundle_(**kwargs)
        if self.image.value:
            bundle[f"image/{self.image.format}"] = base64.b64encode(self.image.value).decode("ascii")
        bundle["text/plain"] = f"{type(self).__name__}: {html.unescape(_plain(self.readout.value))}"
        return bundle


class WholeFigure:
    """A view drawn anew for every setting (nothing updated in place): for figures cheap enough, or few settings."""

    def __init__(self, figure: Figure, readout: str) -> None:
        self.figure, self.readout, self.dynamic = figure, readout, []


def whole_figures(draw: Callable[..., tuple[Figure, str]]) -> dict:
    """``layout``, ``build`` and ``show`` for an :class:`Explorer` that draws ``draw(**settings)`` -> (figure,
    readout) for every setting: its layout is the whole setting (remembered, like any layout)."""
    return {
        "layout": lambda **settings: tuple(settings.items()),
        "build": lambda layout: WholeFigure(*draw(**dict(layout))),
        "show": lambda view, **settings: view.readout,
    }


def _plain(markup: str) -> str:
    """Readout HTML as one line of plain text."""
    return re.sub(r"<[^>]+>", " ", markup).replace("  ", " ").strip()


def weights_version(model: torch.nn.Module) -> tuple[int, ...]:
    """Changes whenever any parameter or buffer of ``model`` is changed in place (an optimiser step,
    ``load_state_dict``) or replaced: what a figure of the model depends on, cheap to compute (no hashing)."""
    tensors = [*model.parameters(), *model.buffers()]
    return tuple(id(t) for t in tensors) + tuple(t._version for t in tensors)  # torch's in-place counter
