"""Live explorers for JupyterLab: labelled controls, a readout, and the figure, redrawn as a control moves.

Each function returns an :class:`Explorer` (an ``ipywidgets.VBox``) around a view of ``swin_edu.viz`` (a figure
built once and updated in place); one module per explorer, the shared machinery in ``explorer.py``. Sliders offer
only what can be drawn; a setting that still cannot be drawn greys out the last figure and says why.
``EXPLORERS`` names them all (the benchmark and the accessibility tests go through it).
"""

from collections.abc import Callable

from swin_edu.widgets.complexity import complexity_explorer
from swin_edu.widgets.explorer import Explorer
from swin_edu.widgets.mask import mask_explorer
from swin_edu.widgets.position import relative_position_explorer
from swin_edu.widgets.receptive_field import receptive_field_explorer
from swin_edu.widgets.shift import shift_explorer
from swin_edu.widgets.token_journey import token_journey_explorer
from swin_edu.widgets.windows import window_explorer

EXPLORERS: dict[str, Callable[[], Explorer]] = {
    "window_explorer": window_explorer,
    "shift_explorer": shift_explorer,
    "mask_explorer": mask_explorer,
    "relative_position_explorer": relative_position_explorer,
    "receptive_field_explorer": receptive_field_explorer,
    "complexity_explorer": complexity_explorer,
    "token_journey_explorer": token_journey_explorer,
}

__all__ = [
    "EXPLORERS",
    "Explorer",
    "complexity_explorer",
    "mask_explorer",
    "receptive_field_explorer",
    "relative_position_explorer",
    "shift_explorer",
    "token_journey_explorer",
    "window_explorer",
]
