"""The receptive-field explorer: the exact field after block k beside a model's effective field."""

from __future__ import annotations

import ipywidgets as widgets
from matplotlib.figure import Figure

from swin_edu.model import SwinTransformer
from swin_edu.receptive_field import MODES
from swin_edu.viz import plot_receptive_field
from swin_edu.viz.receptive_field import cached_exact_field, default_model, token_on_stage
from swin_edu.widgets.explorer import STYLE, Explorer, int_slider

MODE_LABELS = {"swin": "Swin (shifted)", "wmsa": "W-MSA only", "vit": "ViT (global)"}


def receptive_field_explorer(model: SwinTransformer | None = None) -> Explorer:
    """The exact receptive field after block k beside the model's effective field; switch shift / no shift / ViT."""
    model = model or default_model()
    depths = model.config.depths
    grid = model.config.img_size // model.config.patch_size

    def draw(block_number: int, mode: str, row: int, col: int, effective: bool) -> tuple[Figure, str]:
        figure = plot_receptive_field(block_number, (row, col), mode, model, show_effective=effective)
        stage, block = model.config.block_positions()[block_number - 1]
        field = cached_exact_field(token_on_stage((row, col), stage), stage, block, model.config, mode)
        readout = (
            f"block {block_number} = stage {stage + 1}, block {block + 1}; the token holding patch ({row}, {col}) "
            f"can see <b>{int(field.sum())}</b> of {field.size} patches"
        )
        return figure, readout

    controls = {
        "block_number": int_slider("after block", 2, 1, sum(depths)),
        "mode": widgets.ToggleButtons(
            options=[(MODE_LABELS[mode], mode) for mode in MODES], value="swin", description="attention", style=STYLE
        ),
        "row": int_slider("patch row", 20, 0, grid - 1),
        "col": int_slider("patch column", 17, 0, grid - 1),
        "effective": widgets.Checkbox(value=True, description="show the effective field", style=STYLE),
    }
    return Explorer(controls, draw)
