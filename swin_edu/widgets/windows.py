"""The window explorer: a photo cut into patches and M x M windows, stage by stage (``viz.windows``)."""

from __future__ import annotations

from matplotlib.figure import Figure

from swin_edu.viz import plot_windows
from swin_edu.viz.windows import window_layout
from swin_edu.widgets.explorer import Explorer, dropdown, int_slider, whole_figures


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
        "image_size": int_slider("image size (px)", 224, 64, 448, 16),
        "patch_size": dropdown("patch size (px)", 4, [2, 4, 8, 16]),
        "window_size": int_slider("window M (tokens)", 7, 2, 14),
        "stage": int_slider("stage", 1, 1, 4),
    }
    return Explorer(controls, **whole_figures(draw))
