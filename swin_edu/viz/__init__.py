"""Pure drawing functions: each takes settings and returns a matplotlib Figure (one module per explorer).

    plot_windows              windows over a photo, stage by stage, and their cost     (windows.py)
    plot_shift                the cyclic shift and its reverse                          (shift.py)
    plot_mask                 region labels and the shifted-window attention masks      (mask.py)
    plot_relative_position    offsets, the index matrix, a query's bias per head        (position.py)
    plot_receptive_field      exact and effective receptive field after block k         (receptive_field.py)
    plot_complexity           measured FLOPs and time of MSA vs W-MSA, formulas (1)(2)  (complexity.py)
    plot_attention_maps       where one token of a model looks                          (attention_maps.py)
    plot_token_journey        one token through every block: windows, mask, field       (token_journey.py)
    plot_curves               a training run's losses and accuracy per epoch            (training.py)
    plot_confusion_matrix     what a trained model confuses with what                   (training.py)

Every value drawn comes from ``swin_edu``'s own functions; nothing here builds a model (models come in as
arguments). Behind most ``plot_*`` is a *view* class in the same module (``MaskView``, ``ShiftView``,
``WindowsView``, ``PositionView``, ``ReceptiveFieldView``): it builds the figure once and its ``update`` sets the
data of the artists that change. The live explorers (``swin_edu.widgets``) keep a view and redraw only those.
"""

from swin_edu.viz.attention_maps import plot_attention_maps
from swin_edu.viz.complexity import plot_complexity
from swin_edu.viz.mask import plot_mask
from swin_edu.viz.position import plot_relative_position
from swin_edu.viz.receptive_field import plot_receptive_field
from swin_edu.viz.shift import plot_shift
from swin_edu.viz.style import figure_pixels, figure_png
from swin_edu.viz.token_journey import plot_token_journey
from swin_edu.viz.training import plot_confusion_matrix, plot_curves
from swin_edu.viz.windows import plot_windows

__all__ = [
    "figure_pixels",
    "figure_png",
    "plot_attention_maps",
    "plot_complexity",
    "plot_confusion_matrix",
    "plot_curves",
    "plot_mask",
    "plot_receptive_field",
    "plot_relative_position",
    "plot_shift",
    "plot_token_journey",
    "plot_windows",
]
