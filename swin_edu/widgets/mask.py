"""The mask explorer: region labels and the shifted-window attention masks (``viz.mask``)."""

from __future__ import annotations

import html

import ipywidgets as widgets

from swin_edu.viz.mask import MaskView, describe_entry, mask_layout, separated_pairs
from swin_edu.widgets.controls import BELOW_M, IN_WINDOW, int_slider, limit_tokens
from swin_edu.widgets.explorer import Explorer
from swin_edu.windows import WindowGrid


def mask_explorer(
    height: int = 14,
    width: int = 14,
    window_size: int = 7,
    shift: int = 3,
    window: int = 0,
    query: int = 0,
    key: int | None = None,
) -> Explorer:
    """Region labels and the masks of four windows (default: the official code's 14x14 / window 7 / shift 3 demo);
    a readout names the regions that each -100 separates. Any map size works: it is padded as the model pads.

    The arguments set the controls at the start (``window``: the first of the four windows shown; ``query`` and
    ``key``: tokens of it, row-major; ``key`` token 4 by default, the last one of a smaller window); a setting the
    sliders do not offer is refused with the reason."""

    def show(
        view: MaskView, height: int, width: int, window_size: int, shift: int, window: int, query: int, key: int
    ) -> str:
        view.update(height, width, window_size, shift, window, query, key)
        grid = WindowGrid.for_map(height, width, window_size, shift)
        pairs = separated_pairs(grid, window)
        listed = (
            "; ".join(f"regions {a} and {b} ({count} entries)" for a, b, count in pairs) or "nothing: one region only"
        )
        unshifted = "" if grid.is_shifted or shift == 0 else " (no shift: one window covers the map, as in the model)"
        return (
            f"<b>{html.escape(describe_entry(grid, window, query, key))}</b><br>"
            f"In window {window}, -100 separates {listed}.{unshifted}"
        )

    controls = {
        "height": int_slider("height H", height, 2, 28),
        "width": int_slider("width W", width, 2, 28),
        "window_size": int_slider("window M", window_size, 1, 28),
        "shift": int_slider("shift s", shift, 0, 27, limit=BELOW_M),  # ranges narrowed by ``limit_to_map``
        "window": int_slider("which window", window, 0, 28 * 28 - 1, limit="one of the windows of the padded map"),
        "query": int_slider("query token", query, 0, 28 * 28 - 1, limit=IN_WINDOW),
        "key": int_slider(
            "key token", min(4, window_size**2 - 1) if key is None else key, 0, 28**2 - 1, limit=IN_WINDOW
        ),
    }
    return Explorer(
        controls,
        layout=lambda height, width, window_size, shift, **_: mask_layout(height, width, window_size, shift),
        build=MaskView,
        show=show,
        constrain=limit_to_map,
    )


def limit_to_map(controls: dict[str, widgets.IntSlider]) -> None:
    """Keep the shift below M, the window number below the number of windows, tokens within a window."""
    side = controls["window_size"].value
    controls["shift"].max = side - 1
    grid = WindowGrid.for_map(controls["height"].value, controls["width"].value, side, 0)
    controls["window"].max = (grid.padded_height // side) * (grid.padded_width // side) - 1
    limit_tokens(controls["window_size"], controls["query"], controls["key"])
