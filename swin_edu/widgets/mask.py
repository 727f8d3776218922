"""The mask explorer: region labels and the shifted-window attention masks (``viz.mask``)."""

from __future__ import annotations

import html

from matplotlib.figure import Figure

from swin_edu.viz import plot_mask
from swin_edu.viz.mask import describe_entry, separated_pairs
from swin_edu.widgets.explorer import Explorer, int_slider, limit_tokens


def mask_explorer() -> Explorer:
    """Region labels and the masks of four windows (default: the seed's 14x14 / 7 / 3 demo); a readout names the
    regions that each -100 separates."""

    def draw(
        height: int, width: int, window_size: int, shift: int, window: int, query: int, key: int
    ) -> tuple[Figure, str]:
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
        listed = (
            "; ".join(f"regions {a} and {b} ({count} entries)" for a, b, count in pairs) or "nothing: one region only"
        )
        readout = (
            f"<b>{html.escape(describe_entry(height, width, window_size, shift, window, query, key))}</b><br>"
            f"In window {window}, -100 separates {listed}."
        )
        return figure, readout

    controls = {
        "height": int_slider("height H", 14, 2, 28),
        "width": int_slider("width W", 14, 2, 28),
        "window_size": int_slider("window M", 7, 1, 28),
        "shift": int_slider("shift s", 3, 0, 13),
        "window": int_slider("which window", 0, 0, 15),
        "query": int_slider("query token", 0, 0, 48),
        "key": int_slider("key token", 4, 0, 48),
    }
    limit_tokens(controls["window_size"], controls["query"], controls["key"])
    return Explorer(controls, draw)
