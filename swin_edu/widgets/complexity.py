"""The complexity explorer: measured FLOPs and time of W-MSA against global MSA (``viz.complexity``).

Measuring a setting runs the attention layers (1-3 s each on two cores), and there are six settings: the
explorer measures and draws all six once, when it is built, so that every later change only shows a picture.
"""

from __future__ import annotations

from itertools import product

from matplotlib.figure import Figure

from swin_edu.viz import plot_complexity
from swin_edu.widgets.controls import dropdown
from swin_edu.widgets.explorer import Explorer, whole_figures

CHANNELS = (48, 96, 192)
WINDOWS = (4, 7)


def complexity_explorer(channels: int = 96, window_size: int = 7) -> Explorer:
    """Measured FLOPs and wall time of one W-MSA layer and one global MSA layer as the image grows.

    Building it measures every setting (C in 48, 96, 192; M in 4, 7): about 10 s on two idle cores.
    """

    def draw(channels: int, window_size: int) -> tuple[Figure, str]:
        sides = tuple(window_size * k for k in (2, 4, 6, 8))
        figure = plot_complexity(sides, channels, window_size)
        maps = ", ".join(f"{s}x{s}" for s in sides)
        images = ", ".join(str(4 * s) for s in sides)
        readout = (
            f"maps of {maps} tokens (images of {images} px), C = {channels}, M = {window_size}; "
            "every setting measured once, when the explorer was built"
        )
        return figure, readout

    controls = {
        "channels": dropdown("channels C", channels, list(CHANNELS)),
        "window_size": dropdown("window M", window_size, list(WINDOWS)),
    }
    explorer = Explorer(controls, **whole_figures(draw))
    explorer.prepare([{"channels": c, "window_size": m} for c, m in product(CHANNELS, WINDOWS)])
    return explorer
