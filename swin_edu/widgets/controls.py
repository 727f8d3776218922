"""The controls of the explorers: labelled, reporting every value while dragged, offering only what can be drawn.

One rule for what a setting may be: the values a control offers. A slider's range is its static range (built
here), narrowed by the explorer's ``constrain`` to what the other settings allow (a token slider within the
M*M tokens of the window). A value given by a caller (a notebook's ``mask_explorer(height=4, ...)``) must be
one of them; ipywidgets would silently move it to the nearest end of the range instead, so these functions
refuse it with the reason.
"""

from __future__ import annotations

import ipywidgets as widgets

STYLE = {"description_width": "initial"}
BELOW_M = "below M: shifting by a whole window is no shift"  # what narrows a shift slider
IN_WINDOW = "a token of the M x M window, numbered row by row from 0"  # what narrows a token slider


def int_slider(
    description: str, value: int, low: int, high: int, step: int = 1, limit: str | None = None
) -> widgets.IntSlider:
    """A labelled integer slider that reports every value while it is dragged; a ValueError for a value it does
    not offer. ``limit`` says what narrows its range (its tooltip, and the reason of a refusal)."""
    slider = widgets.IntSlider(
        min=low, max=high, step=step, description=description, style=STYLE, continuous_update=True, tooltip=limit
    )
    check_offered(slider, value)
    slider.value = value
    return slider


def dropdown(description: str, value, options) -> widgets.Dropdown:
    """A labelled drop-down list; a ValueError for a value that is not one of its options."""
    menu = widgets.Dropdown(options=options, description=description, style=STYLE)
    check_offered(menu, value)
    menu.value = value
    return menu


def offered(control: widgets.ValueWidget) -> list:
    """Every value a control offers now, in the order a drag (or a list) visits them."""
    if getattr(control, "options", None):
        return [option[1] if isinstance(option, tuple) else option for option in control.options]
    if isinstance(control.value, bool):
        return [not control.value, control.value]
    return list(range(control.min, control.max + 1, control.step))


def check_offered(control: widgets.ValueWidget, value, why: str = "") -> None:
    """A ValueError that names the control, the value and what it offers, unless ``value`` is offered."""
    values = offered(control)
    if value in values:
        return
    if isinstance(control, widgets.IntSlider):
        every = f" in steps of {control.step}" if control.step != 1 else ""
        choices = f"{control.min} to {control.max}{every}"
    else:
        choices = ", ".join(map(repr, values))
    raise ValueError(f"{control.description!r} cannot be {value!r}{why}: it takes {choices}")


def check_unmoved(controls: dict[str, widgets.ValueWidget], given: dict) -> None:
    """After the ranges were narrowed to the other settings: refuse a given value that no longer fits (ipywidgets
    moved it into the range). A switched-off control is fixed by another one and says so by being off."""
    for name, control in controls.items():
        if control.value != given[name] and not control.disabled:
            check_offered(control, given[name], f" with the other settings ({control.tooltip or 'see its range'})")


def limit_tokens(window_size: widgets.IntSlider, *token_sliders: widgets.IntSlider) -> None:
    """Keep token sliders within the M*M tokens of a window."""
    for slider in token_sliders:
        slider.max = window_size.value**2 - 1
