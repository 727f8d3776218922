"""The token-journey explorer: follow the token of one pixel through every block, step by step or played.

Pixel row and column sliders pick the pixel (JupyterLab's image output reports no clicks, so no click-to-pick),
a step slider walks through patch embedding, the blocks, patch merging and pooling, and a Play button steps
it by itself (linked in the browser, so it animates with the kernel doing only the redraws).
"""

from __future__ import annotations

import ipywidgets as widgets

from swin_edu.model import SwinConfig
from swin_edu.token_journey import journey_steps
from swin_edu.viz.token_journey import TokenJourneyFigure
from swin_edu.widgets.controls import int_slider
from swin_edu.widgets.explorer import Explorer

PLAY_INTERVAL_MS = 900  # a step every 0.9 s: time to read the title


def token_journey_explorer(
    config: SwinConfig | None = None, photo: str = "chelsea", pixel: tuple[int, int] | None = None, step: int = 2
) -> Explorer:
    """Where the token of a pixel sits at every step, what it may attend to, and how far it sees (Swin-T default).

    ``pixel`` ``(row, col)`` of the photo (near the bottom-right corner by default) and ``step`` (0 = the patch,
    then every block and merging, the last = pooling) set the controls at the start. The explorer's ``play`` is
    the Play control, linked to the step slider.
    """
    config = config or SwinConfig()
    last_step = len(journey_steps((0, 0), config)) - 1

    def layout(row: int, col: int, step: int) -> SwinConfig:
        journey_steps((row, col), config)  # raises the ValueError that explains a pixel outside the photo
        return config  # one figure for every setting: everything that changes is a dynamic artist

    def show(view: TokenJourneyFigure, row: int, col: int, step: int) -> str:
        view.show((row, col), step)
        now = journey_steps((row, col), config)[step]
        count, total = int(now.field.sum()), now.field.size
        sees = ""
        if now.kind == "block":
            open_tokens, window_tokens = int(now.attends.sum()), int(now.window_cells(config.window_size).sum())
            blocked = window_tokens - open_tokens  # the mask's -100
            sees = f"It may attend to <b>{open_tokens}</b> of the {window_tokens} tokens of its window"
            sees += (
                f"; <b>{blocked}</b> are blocked: they were not its neighbours before the roll. " if blocked else ". "
            )
        return (
            f"<b>Step {step} of {last_step}.</b> {now.describe()}.<br>{sees}"
            f"Its receptive field: <b>{count}</b> of {total} patches ({100 * count / total:.0f}%)."
        )

    size = config.img_size
    row, col = pixel or (min(214, size - 1), min(210, size - 1))
    controls = {
        "row": int_slider("pixel row", row, 0, size - 1),
        "col": int_slider("pixel column", col, 0, size - 1),
        "step": int_slider("step (0 = patch)", step, 0, last_step),
    }
    explorer = Explorer(controls, layout, lambda _config: TokenJourneyFigure(config, photo), show)
    explorer.play = widgets.Play(
        value=controls["step"].value, min=0, max=last_step, interval=PLAY_INTERVAL_MS, tooltip="play the journey"
    )
    explorer.play_link = widgets.jslink((explorer.play, "value"), (controls["step"], "value"))
    row = explorer.children[0]  # the row of controls; Play is not a setting of the figure, the step slider is
    row.children = (*row.children, widgets.Label("play the journey:"), explorer.play)
    return explorer
