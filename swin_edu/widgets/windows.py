"""The window explorer: a photo cut into patches and M x M windows, stage by stage (``viz.windows``)."""

from __future__ import annotations

from swin_edu.viz.windows import WindowsView, window_layout
from swin_edu.widgets.controls import dropdown, int_slider
from swin_edu.widgets.explorer import Explorer


def window_explorer(image_size: int = 224, patch_size: int = 4, window_size: int = 7, stage: int = 1) -> Explorer:
    """A photo with its patch grid and M x M windows; stage 1-4 makes the windows grow in pixels. A map that is
    not a whole number of windows is padded as the model pads it, and the padding drawn (hatched)."""

    def layout(image_size: int, patch_size: int, window_size: int, stage: int) -> None:
        window_layout(image_size, patch_size, window_size, stage)  # raises the ValueError that explains a refusal
        return None  # one figure for every setting

    def show(view: WindowsView, image_size: int, patch_size: int, window_size: int, stage: int) -> str:
        shown = view.update(image_size, patch_size, window_size, stage)
        padded = f", padded to {shown.padded_height}x{shown.padded_width} as the model pads" if shown.padded else ""
        return (
            f"<b>{shown.windows}</b> windows of <b>{shown.tokens_per_window}</b> tokens "
            f"({shown.map_height}x{shown.map_width} tokens{padded}, C = {shown.channels}) &nbsp;|&nbsp; "
            f"&Omega;(MSA) = {shown.cost_msa:.3g}, &Omega;(W-MSA) = {shown.cost_wmsa:.3g} multiply-adds: "
            f"W-MSA costs {shown.cost_wmsa / shown.cost_msa:.1%} of global MSA"
        )

    controls = {
        "image_size": int_slider("image size (px)", image_size, 64, 448, 16),
        "patch_size": dropdown("patch size (px)", patch_size, [2, 4, 8, 16]),
        "window_size": int_slider("window M (tokens)", window_size, 2, 14),
        "stage": int_slider("stage", stage, 1, 4),
    }
    return Explorer(controls, layout, build=lambda _: WindowsView(), show=show)
