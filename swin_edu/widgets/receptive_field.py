"""The receptive-field explorer: the exact field after block k beside a model's effective field.

The effective field costs a forward and a backward pass of the model (50-150 ms for the narrow default model
on two cores), too slow to follow a dragged slider. While a control moves, the explorer draws the exact field
at once and leaves the effective panel empty ("computed when the controls rest"); a moment after the last
move it computes the gradient and draws it. Gradients are remembered per explorer, keyed by the token, the
block and the model's weights (so more training or new weights never show old gradients).
"""

from __future__ import annotations

from collections import OrderedDict

import ipywidgets as widgets
import numpy as np
import torch

from swin_edu.model import SwinTransformer, swin_t
from swin_edu.receptive_field import MODES
from swin_edu.viz.receptive_field import ReceptiveFieldView, effective_field
from swin_edu.widgets.controls import STYLE, check_offered, int_slider
from swin_edu.widgets.explorer import Explorer, weights_version

MODE_LABELS = {"swin": "Swin (shifted)", "wmsa": "W-MSA only", "vit": "ViT (global)"}
GRADIENTS_KEPT = 512  # about 12 KB each for a 56x56 grid


def default_model(seed: int = 0) -> SwinTransformer:
    """An untrained model with Swin-T's layout (patches, windows, depths) but narrow (C = 24): quick gradients.

    Its weights are drawn from ``seed`` without touching the caller's random state (``torch.random.fork_rng``).
    """
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return swin_t(embed_dim=24, num_heads=(1, 2, 4, 8), num_classes=0).eval()


def receptive_field_explorer(
    model: SwinTransformer | None = None,
    block_number: int = 2,
    mode: str = "swin",
    patch: tuple[int, int] | None = None,
    effective: bool = True,
) -> Explorer:
    """The exact receptive field after block k beside the model's effective field; switch shift / no shift / ViT.

    ``model``: any ``SwinTransformer`` (3 or 1 input channels); the narrow untrained Swin-T of ``default_model``
    when None. The other arguments set the controls at the start: the block (1 = the first), the mode ("swin",
    "wmsa" or "vit"), the ``(row, col)`` of the patch whose token is followed, and whether to show the gradient.
    """
    model = model or default_model()
    config = model.config
    grid_h, grid_w = config.stage_sizes()[0]
    gradients: OrderedDict[tuple, np.ndarray] = OrderedDict()
    explorer: Explorer | None = None  # set below; ``show`` asks it whether the controls rest

    def gradient_of(patch: tuple[int, int], block_number: int, compute: bool) -> np.ndarray | None:
        key = (patch, block_number, weights_version(model))  # everything the gradient depends on
        if key not in gradients:
            if not compute:
                return None
            gradients[key] = effective_field(model, patch, block_number)
            if len(gradients) > GRADIENTS_KEPT:
                gradients.popitem(last=False)
        gradients.move_to_end(key)
        return gradients[key]

    def show(view: ReceptiveFieldView, block_number: int, mode: str, row: int, col: int, effective: bool) -> str:
        gradient = None
        if effective:
            gradient = gradient_of((row, col), block_number, compute=explorer is None or explorer.resting)
            if gradient is None:
                explorer.redraw_when_resting()
        field = view.update(block_number, (row, col), mode, gradient)
        stage, block = config.block_positions()[block_number - 1]
        return (
            f"block {block_number} = stage {stage + 1}, block {block + 1}; the token holding patch ({row}, {col}) "
            f"can see <b>{int(field.sum())}</b> of {field.size} patches"
        )

    row, col = patch or (min(20, grid_h // 2), min(17, grid_w // 2))
    modes = widgets.ToggleButtons(options=[(MODE_LABELS[m], m) for m in MODES], description="attention", style=STYLE)
    check_offered(modes, mode)
    modes.value = mode
    controls = {
        "block_number": int_slider("after block", block_number, 1, sum(config.depths)),
        "mode": modes,
        "row": int_slider("patch row", row, 0, grid_h - 1),
        "col": int_slider("patch column", col, 0, grid_w - 1),
        "effective": widgets.Checkbox(value=bool(effective), description="show the effective field", style=STYLE),
    }
    explorer = Explorer(
        controls,
        layout=lambda effective, **_: effective,
        build=lambda effective: ReceptiveFieldView(config, effective),
        show=show,
        depends_on=lambda: weights_version(model),
        remember_frames=False,  # a frame may lack a gradient that is known later
    )
    return explorer
