"""The shift explorer: the map before and after the cyclic shift, and rolled back, step by step (``viz.shift``)."""

from __future__ import annotations

import ipywidgets as widgets

from swin_edu.viz.shift import ShiftView, check_setting
from swin_edu.widgets.controls import BELOW_M, int_slider
from swin_edu.widgets.explorer import Explorer


def shift_explorer(height: int = 8, width: int = 8, window_size: int = 4, shift: int = 2) -> Explorer:
    """The map before and after ``torch.roll`` by -s, the wrapped regions A, B, C, and the roll back. The "roll
    step" slider (and its Play button) rolls one token at a time, from 0 to s. A map that is not a whole number
    of windows is padded as the model pads it."""

    def show(view: ShiftView, height: int, width: int, window_size: int, shift: int, roll: int) -> str:
        grid = view.update(height, width, window_size, shift, roll)
        windows = (grid.padded_height // window_size) * (grid.padded_width // window_size)
        padded = (
            f"padded to {grid.padded_height}x{grid.padded_width} (as the model pads); "
            if (grid.padded_height, grid.padded_width) != (height, width)
            else ""
        )
        unshifted = (
            "; no shift along an axis that one window covers (as in the model)" if grid.shift != (shift, shift) else ""
        )
        return (
            f"roll by {tuple(-s for s in grid.shift)}: the top {grid.shift[0]} rows and left {grid.shift[1]} columns "
            f"wrap to the bottom and right; {height}x{width} tokens {padded}in {windows} windows of "
            f"{window_size}x{window_size}{unshifted}"
        )

    controls = {
        "height": int_slider("height H", height, 2, 16),
        "width": int_slider("width W", width, 2, 16),
        "window_size": int_slider("window M", window_size, 1, 8),
        "shift": int_slider("shift s", shift, 0, 7, limit=BELOW_M),  # narrowed by ``follow_the_shift``
        "roll": int_slider("roll step", shift, 0, shift),
    }
    play = widgets.Play(value=shift, min=0, max=shift, interval=600, tooltip="play the roll")
    widgets.jslink((play, "value"), (controls["roll"], "value"))
    explorer = Explorer(
        controls,
        layout=lambda height, width, window_size, shift, **_: check_setting(height, width, window_size, shift),
        build=lambda _: ShiftView(),  # one figure for every setting
        show=show,
        constrain=lambda controls: follow_the_shift(controls, play),
    )
    # ipywidgets 8 shows no description on Play (bare icons): a visible label, and the tooltip as its title
    explorer.children[0].children = (widgets.Label("play the roll:"), play, *explorer.children[0].children)
    return explorer


def follow_the_shift(controls: dict[str, widgets.IntSlider], play: widgets.Play) -> None:
    """Keep s below M, and the roll step (and its Play button) from 0 to s; a new s shows the whole roll."""
    controls["shift"].max = controls["window_size"].value - 1
    shift = controls["shift"].value
    for widget in (controls["roll"], play):
        if widget.max != shift:
            widget.max = shift
            widget.value = shift
