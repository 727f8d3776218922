"""The complexity explorer: measured FLOPs and time of W-MSA against global MSA (``viz.complexity``)."""

from __future__ import annotations

from matplotlib.figure import Figure

from swin_edu.viz import plot_complexity
from swin_edu.widgets.explorer import Explorer, dropdown, whole_figures


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
        "channels": dropdown("channels C", channels, [48, 96, 192]),
        "window_size": dropdown("window M", window_size, [4, 7]),
    }
    return Explorer(controls, **whole_figures(draw))
