"""The relative-position explorer: offsets, the index matrix and one query's bias per head (``viz.position``).

Without a model it offers two kinds of table: a freshly initialised one (what a new model starts from: noise,
std 0.02) and the tables of a small Swin trained on scikit-learn's digits (window M = 4, written by
``tools/digits_bias_tables.py`` into ``digits_bias_tables.pt`` beside this module), where structure has grown.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import ipywidgets as widgets
import torch

from swin_edu.attention import WindowAttention
from swin_edu.model import SwinTransformer
from swin_edu.viz.position import MAX_HEADS_SHOWN, PositionView, random_attention
from swin_edu.widgets.controls import IN_WINDOW, dropdown, int_slider, limit_tokens
from swin_edu.widgets.explorer import Explorer, weights_version

TRAINED_TABLES = Path(__file__).with_name("digits_bias_tables.pt")
FRESH = "fresh"


@lru_cache(maxsize=1)
def trained_tables() -> dict:
    """The stored digits tables: ``{"tables": {"layers.S.blocks.B": ((2M-1)^2, heads)}, "window_size", ...}``."""
    return torch.load(TRAINED_TABLES, weights_only=True)


def trained_attention(block: str) -> WindowAttention:
    """An attention layer holding the trained table of ``block`` (e.g. "layers.0.blocks.1")."""
    stored = trained_tables()
    table = stored["tables"][block]
    heads = table.shape[1]
    attention = WindowAttention(dim=32 * heads, window_size=stored["window_size"], num_heads=heads)
    with torch.no_grad():
        attention.relative_position_bias_table.copy_(table)
    return attention


def table_options() -> list[tuple[str, str]]:
    """The tables offered without a model: a fresh one, then every trained block."""
    options = [("freshly initialised (noise)", FRESH)]
    if TRAINED_TABLES.exists():
        stored = trained_tables()
        for name, table in stored["tables"].items():
            _, stage, _, block = name.split(".")
            label = f"trained on digits ({stored['val_accuracy']:.1%}): stage {int(stage) + 1}, block {int(block) + 1}"
            options.append((f"{label}, {table.shape[1]} heads", name))
    return options


def relative_position_explorer(
    model: SwinTransformer | None = None, query: int | None = None, window_size: int = 7, table: str = FRESH
) -> Explorer:
    """Offsets, the index matrix and one query's bias per head; from ``model``'s own tables when given, else a
    fresh table or a trained one (a small Swin trained on digits, M = 4).

    ``query`` is the token whose row is shown (the window's centre by default); without a model, ``window_size``
    is the M of a fresh table and ``table`` "fresh" or a trained block ("layers.1.blocks.0": its M is 4).
    One figure serves every layer with the same number of heads shown (its ``update`` sets the window size and
    the table): the explorer draws each such figure when it is built, so that no change of a control has to.
    """
    if model is not None and (window_size, table) != (7, FRESH):
        raise ValueError("window_size and table are for the explorer without a model: the model's layers fix them")

    def readout(attention: WindowAttention, query: int, source: str) -> str:
        side = 2 * attention.window_size - 1
        return (
            f"query token {query} = (row {query // attention.window_size}, col {query % attention.window_size}); "
            f"bias table {side * side} x {attention.num_heads} heads from {source}"
        )

    if model is None:
        fresh_layers: dict[int, WindowAttention] = {}

        def layer(table: str, window_size: int) -> WindowAttention:
            if table != FRESH:
                return trained_attention(table)
            if window_size not in fresh_layers:
                fresh_layers[window_size] = random_attention(window_size)
            return fresh_layers[window_size]

        def show(view: PositionView, table: str, window_size: int, query: int) -> str:
            view.update(layer(table, window_size), query)
            source = "a freshly initialised layer (std 0.02)" if table == FRESH else f"{table}.attn, trained on digits"
            return readout(view.attention, query, source)

        controls = {
            "table": dropdown("bias table", table, table_options()),
            "window_size": int_slider("window M", window_size, 2, 9),
        }
        shown_window = window_size if table == FRESH else trained_tables()["window_size"]
        controls["query"] = int_slider(
            "query token", shown_window**2 // 2 if query is None else query, 0, 80, limit=IN_WINDOW
        )
        explorer = Explorer(
            controls,
            layout=lambda table, window_size, query: heads_shown(layer(table, window_size)),
            build=PositionView,
            show=show,
            constrain=fresh_or_trained,
        )
        first_of_each = {heads_shown(layer(table, 7)): table for _, table in controls["table"].options}
        explorer.prepare([{"table": table, "window_size": 7, "query": 0} for table in first_of_each.values()])
        return explorer

    def attention_of(stage: int, block: int) -> WindowAttention:
        return model.layers[stage].blocks[block].attn

    def show_model(view: PositionView, stage: int, block: int, query: int) -> str:
        view.update(attention_of(stage, block), query)
        return readout(view.attention, query, f"model.layers[{stage}].blocks[{block}].attn")

    def within_model(controls: dict[str, widgets.IntSlider]) -> None:
        controls["block"].max = len(model.layers[controls["stage"].value].blocks) - 1

    window = model.config.window_size
    controls = {
        "stage": int_slider("stage (0-based)", 0, 0, len(model.layers) - 1),
        "block": int_slider("block (0-based)", 0, 0, max(model.config.depths) - 1),
        "query": int_slider(
            "query token", window * window // 2 if query is None else query, 0, window * window - 1, limit=IN_WINDOW
        ),
    }
    explorer = Explorer(
        controls,
        layout=lambda stage, block, query: heads_shown(attention_of(stage, block)),
        build=PositionView,
        show=show_model,
        depends_on=lambda: weights_version(model),
        constrain=within_model,
    )
    first_of_each = {heads_shown(attention_of(stage, 0)): stage for stage in range(len(model.layers))}
    explorer.prepare([{"stage": stage, "block": 0, "query": 0} for stage in first_of_each.values()])
    return explorer


def heads_shown(attention: WindowAttention) -> int:
    """How many heads the figure of a layer shows: what fixes its layout (the window size does not)."""
    return min(attention.num_heads, MAX_HEADS_SHOWN)


def fresh_or_trained(controls: dict[str, widgets.ValueWidget]) -> None:
    """A trained table fixes the window (M = 4): the window slider follows it, switched off; queries stay inside."""
    trained = controls["table"].value != FRESH
    if trained:
        controls["window_size"].value = trained_tables()["window_size"]
    controls["window_size"].disabled = trained
    limit_tokens(controls["window_size"], controls["query"])
