"""Blitting: a figure rendered once, then for every frame only the artists that moved, drawn on top.

Measured on the course's 2-core CPU (``benchmarks/bench_explorers.py``), drawing a new figure costs 60-200 ms,
most of it laying out and rasterising text (titles, tick labels, legends), and lowering the resolution saves
almost nothing (text costs per glyph, not per pixel). So:

- a *view* (``swin_edu.viz``) builds a figure once and its ``update`` sets the data of the artists that change
  (``set_data``, ``set_offsets``, glyph outlines for changing text: ``viz.style.GlyphTitle``), its ``dynamic``;
- a :class:`Blitter` renders the rest of the figure once into a background, then for every frame restores that
  background, draws only the dynamic artists on it and encodes the image.
"""

from __future__ import annotations

import io
from typing import Protocol

import numpy as np
from matplotlib.artist import Artist
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from PIL import Image

LIVE_WIDTH = 1000  # pixels: a notebook column is about this wide; a wider image is only scaled down in the browser


class View(Protocol):
    """What an explorer needs from a drawing: a figure, and the artists that its ``update`` changes.

    A view may also name its ``image_format``: "jpeg" for figures mostly photo (smaller and five times faster to
    encode than PNG, which stays the default for lines and text).
    """

    figure: Figure
    dynamic: list[Artist]


def encode(rgba: np.ndarray, image_format: str = "png") -> bytes:
    """An ``(H, W, 4)`` uint8 image as PNG (compressed lightly: about 5 ms for a 1000 x 260 figure of lines and
    text) or JPEG at quality 95 (about 3 ms for a 1000 x 500 figure with a photo, where PNG takes 17 ms)."""
    buffer = io.BytesIO()
    if image_format == "jpeg":
        Image.fromarray(rgba[..., :3]).save(buffer, format="jpeg", quality=95)
    else:
        Image.fromarray(rgba).save(buffer, format="png", compress_level=1)
    return buffer.getvalue()


class Blitter:
    """A view's figure rendered once without its dynamic artists; each frame draws only those on top."""

    def __init__(self, view: View) -> None:
        self.view = view
        self.image_format = getattr(view, "image_format", "png")
        figure = view.figure
        figure.set_dpi(min(100.0, LIVE_WIDTH / figure.get_figwidth()))  # fewer pixels to draw and encode
        # the refusal veil: a white film and the reason, drawn over the last figure when a setting is refused
        self.veil = Rectangle((0, 0), 1, 1, transform=figure.transFigure, facecolor="white", alpha=0.8, zorder=100)
        self.veil_text = figure.text(0.5, 0.5, "", ha="center", va="center", fontsize=13, wrap=True, zorder=101)
        figure.add_artist(self.veil)
        for artist in [*view.dynamic, self.veil, self.veil_text]:
            artist.set_animated(True)  # left out of the background
        figure.canvas.draw()
        self.background = figure.canvas.copy_from_bbox(figure.bbox)

    def frame(self, refusal: str = "") -> bytes:
        """PNG of the background with the dynamic artists (and the veil with ``refusal``, if any) drawn on it."""
        figure = self.view.figure
        figure.canvas.restore_region(self.background)
        for artist in sorted(self.view.dynamic, key=lambda artist: artist.get_zorder()):
            figure.draw_artist(artist)
        if refusal:
            self.veil_text.set_text(f"Not possible: {refusal}\n(the figure shows the last possible setting)")
            figure.draw_artist(self.veil)
            figure.draw_artist(self.veil_text)
        return encode(np.asarray(figure.canvas.buffer_rgba()), self.image_format)
