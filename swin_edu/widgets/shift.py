"""The shift explorer: the map before and after the cyclic shift, and rolled back (``viz.shift``)."""

from __future__ import annotations

from matplotlib.figure import Figure

from swin_edu.viz import plot_shift
from swin_edu.widgets.explorer import Explorer, int_slider


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
        "height": int_slider("height H", 8, 2, 16),
        "width": int_slider("width W", 8, 2, 16),
        "window_size": int_slider("window M", 4, 1, 8),
        "shift": int_slider("shift s", 2, 0, 7),
    }
    return Explorer(controls, draw)
