"""Accessibility basics of the explorers: every control has a label, every figure has titles, nothing is told by
colour alone.

Checked on each explorer's own figure (`Explorer.figure`) at its default settings:
- controls: a non-empty description, different from the other controls' (a screen reader reads only that),
  and named options;
- a text next to the figure (the readout) that says what it shows;
- every panel has a title; a colour bar has a label or tick labels;
- colour alone never carries meaning: entries of a legend differ in line style, marker or hatch as well as in
  colour; an image drawn with a categorical colour map carries text labels or hatches; a continuous colour map
  is one whose lightness changes monotonically (viridis, cividis, greys, ...), readable without hue;
  filled shapes of different colours in one panel differ by hatch or are labelled in text.
"""

from __future__ import annotations

from itertools import combinations

import ipywidgets
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap, to_hex
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from swin_edu import widgets

# colour maps whose lightness rises (or falls) monotonically: readable in grey, and with any colour vision
LIGHTNESS_MAPS = {"viridis", "cividis", "magma", "inferno", "plasma", "gray", "Greys", "gray_r", "Greys_r", "binary"}


@pytest.fixture(scope="module", params=list(widgets.EXPLORERS))
def explorer(request: pytest.FixtureRequest) -> widgets.Explorer:
    return widgets.EXPLORERS[request.param]()


def panels(figure: Figure) -> list[Axes]:
    """The axes that show something (not colour bars, not switched off)."""
    return [ax for ax in figure.axes if ax.get_visible() and ax.get_label() != "<colorbar>" and ax.axison]


def colour_bars(figure: Figure) -> list[Axes]:
    return [ax for ax in figure.axes if ax.get_label() == "<colorbar>"]


def without_colour(handle) -> tuple:
    """What tells a legend entry apart from the others when colour is not seen."""
    if isinstance(handle, Line2D):
        return ("line", handle.get_linestyle(), handle.get_marker())
    if isinstance(handle, Patch):
        return ("patch", handle.get_hatch(), handle.get_fill(), handle.get_linestyle())
    return (type(handle).__name__,)


def legends(figure: Figure) -> list[Legend]:
    return [*figure.legends, *(ax.get_legend() for ax in figure.axes if ax.get_legend() is not None)]


def test_every_control_has_its_own_label(explorer: widgets.Explorer) -> None:
    labels = [control.description.strip() for control in explorer.controls.values()]
    assert all(labels), f"controls without a label: {explorer.controls}"
    assert len(set(labels)) == len(labels), f"two controls share a label: {labels}"
    for control in explorer.controls.values():
        if isinstance(control, (ipywidgets.Dropdown, ipywidgets.ToggleButtons)):
            names = [option[0] if isinstance(option, tuple) else option for option in control.options]
            assert all(str(name).strip() for name in names), f"an option without a name: {control.options}"


def test_a_text_says_what_the_figure_shows(explorer: widgets.Explorer) -> None:
    assert explorer.message == "" and explorer.figure is not None
    assert len(explorer.readout.value.strip()) > 20, f"readout {explorer.readout.value!r}"


def untitled(figure: Figure) -> list[str]:
    """Panels without a title, colour bars without a label."""
    found = [f"panel {i} has no title" for i, ax in enumerate(panels(figure)) if not ax.get_title().strip()]
    for bar in colour_bars(figure):
        ticks = [t.get_text() for t in bar.get_yticklabels() + bar.get_xticklabels()]
        if not (bar.get_xlabel() or bar.get_ylabel() or any(ticks)):
            found.append("a colour bar has no label")
    return found


def told_by_colour_alone(figure: Figure) -> list[str]:
    """Legend entries, images and filled shapes that only colour tells apart."""
    found = []
    for legend in legends(figure):
        entries = list(zip([text.get_text() for text in legend.get_texts()], legend.legend_handles))
        found += [
            f"legend entries {name_a!r} and {name_b!r} differ only in colour"
            for (name_a, a), (name_b, b) in combinations(entries, 2)
            if without_colour(a) == without_colour(b)
        ]
    for ax in panels(figure):
        shown = [artist for artist in [*ax.patches, *ax.collections] if artist.get_visible()]
        hatched = any(artist.get_hatch() for artist in shown)
        # text: Text artists, or texts drawn as glyph outlines (``viz.style.text_glyphs``, non-empty)
        written = bool(ax.texts) or any(
            hasattr(c, "fontsize") and len(c.get_paths()) for c in ax.collections if c in shown
        )
        for image in ax.get_images():
            cmap = image.get_cmap()
            if image.get_array().ndim == 3 or cmap.name in LIGHTNESS_MAPS:  # a photo, or lightness tells the values
                continue
            if not isinstance(cmap, ListedColormap):
                found.append(f"panel {ax.get_title()!r}: colour map {cmap.name!r} needs hue to be read")
            elif not (written or hatched):
                found.append(f"panel {ax.get_title()!r}: categories told by colour only ({cmap.name})")
        filled = [
            patch for patch in ax.patches if patch.get_visible() and patch.get_fill() and patch.get_facecolor()[3] > 0
        ]
        hatch_of = {to_hex(patch.get_facecolor()): patch.get_hatch() for patch in filled}
        colours = set(hatch_of) - {"#ffffff"}
        if len(colours) > 1 and len({hatch_of[colour] for colour in colours}) < len(colours) and not written:
            found.append(
                f"panel {ax.get_title()!r}: {len(colours)} colours of shapes, neither hatched apart nor labelled"
            )
    return found


def test_every_panel_has_a_title(explorer: widgets.Explorer) -> None:
    assert not untitled(explorer.figure)


def test_nothing_is_told_by_colour_alone(explorer: widgets.Explorer) -> None:
    assert not told_by_colour_alone(explorer.figure)


def test_the_checks_find_a_figure_that_fails_them() -> None:
    """A figure made wrong on purpose: no titles, legend lines alike but for colour, a rainbow map, bare categories."""
    figure = Figure()
    lines_ax, rainbow_ax, categories_ax, shapes_ax = figure.subplots(1, 4)
    lines_ax.plot([0, 1], color="red", label="red")
    lines_ax.plot([1, 0], color="green", label="green")
    lines_ax.legend()
    rainbow_ax.imshow([[0.0, 1.0]], cmap="jet")
    categories_ax.imshow([[0, 1], [2, 3]], cmap=ListedColormap(["#E69F00", "#56B4E9", "#009E73", "#F0E442"]))
    shapes_ax.bar([0, 1], [1, 2], color=["#E69F00", "#56B4E9"])
    assert len(untitled(figure)) == 4
    found = "\n".join(told_by_colour_alone(figure))
    assert "'red' and 'green' differ only in colour" in found, found
    assert "'jet' needs hue" in found and "categories told by colour only" in found, found
    assert "2 colours of shapes" in found, found
