"""Live explorers for JupyterLab: labelled controls, a readout, and the figure, redrawn as a control moves.

Each function returns an :class:`Explorer` (an ``ipywidgets.VBox``) around one drawing function of
``swin_edu.viz``; one module per explorer, the shared machinery in ``explorer.py``. An impossible setting
shows its reason in the readout instead.
"""

from swin_edu.widgets.complexity import complexity_explorer
from swin_edu.widgets.explorer import Explorer
from swin_edu.widgets.mask import mask_explorer
from swin_edu.widgets.position import relative_position_explorer
from swin_edu.widgets.receptive_field import receptive_field_explorer
from swin_edu.widgets.shift import shift_explorer
from swin_edu.widgets.token_journey import token_journey_explorer
from swin_edu.widgets.windows import window_explorer

__all__ = [
    "Explorer",
    "complexity_explorer",
    "mask_explorer",
    "receptive_field_explorer",
    "relative_position_explorer",
    "shift_explorer",
    "token_journey_explorer",
    "window_explorer",
]
