"""The relative-position explorer: offsets, the index matrix and one query's bias per head (``viz.position``)."""

from __future__ import annotations

from matplotlib.figure import Figure

from swin_edu.model import SwinTransformer
from swin_edu.viz import plot_relative_position
from swin_edu.viz.position import random_attention
from swin_edu.widgets.explorer import Explorer, int_slider, limit_tokens


def relative_position_explorer(model: SwinTransformer | None = None) -> Explorer:
    """Offsets, the index matrix and one query's bias per head; from ``model``'s own tables when given."""

    def draw(query: int, window_size: int = 7, stage: int = 0, block: int = 0) -> tuple[Figure, str]:
        if model is None:
            attention = random_attention(window_size)
            source = "a freshly initialised layer (std 0.02)"
        else:
            if block >= len(model.layers[stage].blocks):
                raise ValueError(f"stage {stage} has {len(model.layers[stage].blocks)} blocks")
            attention = model.layers[stage].blocks[block].attn
            source = f"model.layers[{stage}].blocks[{block}].attn"
        side = 2 * attention.window_size - 1
        readout = (
            f"query token {query} = (row {query // attention.window_size}, col {query % attention.window_size}); "
            f"bias table {side * side} x {attention.num_heads} heads from {source}"
        )
        return plot_relative_position(attention, query), readout

    if model is None:
        controls = {"window_size": int_slider("window M", 7, 2, 9), "query": int_slider("query token", 24, 0, 48)}
        limit_tokens(controls["window_size"], controls["query"])
    else:
        window = model.config.window_size
        controls = {
            "stage": int_slider("stage (0-based)", 0, 0, len(model.layers) - 1),
            "block": int_slider("block (0-based)", 0, 0, max(model.config.depths) - 1),
            "query": int_slider("query token", window * window // 2, 0, window * window - 1),
        }
    return Explorer(controls, draw)
