"""Each explorer of `swin_edu.widgets`, used in JupyterLab from the keyboard alone: every control is focused and
operated with keys (arrows on sliders, an option's first letter typed into a drop-down, Enter on buttons, Space
on check boxes). Every control must get a visible answer (a new figure, or the reason why the setting is
impossible), and moving a slider must change the figure on screen (compared as screenshots). Each control's name
must reach a screen reader where ipywidgets lets it: a drop-down's <label for>, a check box inside its <label>,
buttons with text; a slider's handle is a `role="slider"` whose `aria-valuetext` follows the value (ipywidgets 8
links no label to it: its description <label> has no `for` and the handle no `aria-labelledby`, and Play's
buttons are icons without names, so a Play needs a tooltip and a visible label beside it).

The explorers are shown by tests/browser/explorers.ipynb (one cell each), so every explorer is exercised
whatever the course notebooks show. Screenshots go to the browser tests' artifacts folder (outside the
repository); with UPDATE_FIGURES=1 the first view of each explorer is also written to figures/browser_<explorer>.png
for the README.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_driver import LabServer, NotebookPage, problems
from playwright.sync_api import Browser, Locator

ROOT = Path(__file__).resolve().parents[2]
EXPLORERS = [
    "window_explorer",
    "shift_explorer",
    "mask_explorer",
    "relative_position_explorer",
    "receptive_field_explorer",
    "complexity_explorer",
    "token_journey_explorer",
]
CONTROLS = ".widget-slider, .widget-dropdown, .widget-toggle-buttons, .widget-checkbox, .widget-play"
FIGURE = "img.widget-image"
READOUT = ".widget-html-content"
REFUSAL = "Not possible"
REDRAW_TIMEOUT_S = 90  # generous: 2 shared cores are slow (the complexity explorer measures every setting when built)


@pytest.fixture(scope="module")
def explorers(browser: Browser, lab_server: LabServer, artifacts: Path) -> Iterator[NotebookPage]:
    """explorers.ipynb, run once through the menus, shared by the tests of this module."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    notebook = NotebookPage(context.new_page(), lab_server, artifacts)
    notebook.open("explorers.ipynb")
    notebook.run_all(timeout_s=300)
    notebook.wait_for(lambda: not problems(notebook.cells()), timeout_s=60)
    found = problems(notebook.cells())
    assert not found, "explorers.ipynb:\n" + "\n".join(found)
    yield notebook
    context.close()
    lab_server.shut_down_kernels()


def explorer_output(notebook: NotebookPage, name: str) -> Locator:
    """The output area of the cell that shows explorer `name`."""
    index = next(cell.index for cell in notebook.cells() if f"explorers.{name}(" in cell.source)
    return notebook.cell(index).locator(".jp-Cell-outputArea")


def operate(control: Locator, backwards: bool = False) -> str:
    """Change `control` from the keyboard; returns what was done. A slider at its end is moved the other way."""
    classes = control.get_attribute("class") or ""
    if "widget-slider" in classes:
        handle, readout = control.locator(".noUi-handle"), control.locator(".widget-readout")
        before = readout.inner_text()
        for key in ["ArrowLeft", "ArrowRight"] if backwards else ["ArrowRight", "ArrowLeft"]:
            handle.focus()
            handle.press(key)
            if readout.inner_text() != before:
                assert handle.get_attribute("aria-valuetext") == readout.inner_text(), "aria-valuetext lags"
                return f"slider {before} -> {readout.inner_text()} ({key})"
        raise AssertionError(f"the slider did not move from {before}")
    if "widget-dropdown" in classes:  # an option's first letter selects it (chromium's arrows open the list instead)
        select = control.locator("select")
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("element => element.selectedIndex")
        choice = (current + (-1 if backwards else 1)) % len(options)
        select.focus()
        for _ in options:  # the same letter again moves on to the next option that starts with it
            # never type into the notebook itself: in command mode its keys add, cut or hide cells
            assert select.evaluate("element => document.activeElement === element"), "the drop-down lost the focus"
            select.press(options[choice].strip()[0])
            if select.evaluate("element => element.selectedIndex") == choice:
                return f"drop-down {options[current]} -> {options[choice]} (typed {options[choice].strip()[0]!r})"
        raise AssertionError(f"typing did not select {options[choice]!r} in the drop-down")
    if "widget-toggle-buttons" in classes:
        buttons = control.locator("button")
        labels = buttons.all_inner_texts()
        current = next(i for i in range(len(labels)) if "mod-active" in (buttons.nth(i).get_attribute("class") or ""))
        choice = (current + (-1 if backwards else 1)) % len(labels)
        buttons.nth(choice).focus()
        buttons.nth(choice).press("Enter")
        return f"buttons {labels[current]} -> {labels[choice]} (Enter)"
    if "widget-checkbox" in classes:
        box = control.locator("input[type=checkbox]")
        before = box.is_checked()
        box.focus()
        box.press("Space")
        assert box.is_checked() != before, "Space did not toggle the check box"
        return "check box toggled (Space)"
    if "widget-play" in classes:
        play = control.locator("button").first
        play.focus()
        play.press("Enter")  # play ...
        control.page.wait_for_timeout(2500)
        play.press("Enter")  # ... and pause
        return "play, then pause (Enter)"
    raise AssertionError(f"no way to operate a control of class {classes!r}")


def label_of(control: Locator) -> str:
    """The text a person reads as the control's name (its description label, or a Play control's tooltip)."""
    text = " ".join(control.locator("label").all_inner_texts()).replace("\u200b", "").strip()
    return text or (control.get_attribute("title") or "").strip()


# The name a screen reader announces for each focusable part of a control, where ipywidgets links one.
ACCESSIBLE_NAMES_JS = """control => {
    const named = element => (element.labels ? Array.from(element.labels).map(l => l.innerText).join(' ') : '')
        || element.getAttribute('aria-label') || element.innerText || '';
    return Array.from(control.querySelectorAll('select, input, button')).map(e => named(e).trim());
}"""


def screen_reader_names(control: Locator) -> list[str]:
    """Accessible names of the control's select, input and button elements (sliders and Play: see the docstring)."""
    classes = control.get_attribute("class") or ""
    if "widget-slider" in classes or "widget-play" in classes:
        return []
    return control.evaluate(ACCESSIBLE_NAMES_JS)


def save_readme_figure(explorer: Locator, name: str) -> None:
    """figures/browser_<name>.png for the README, only when asked (UPDATE_FIGURES=1): tests write no repo files."""
    if os.environ.get("UPDATE_FIGURES") == "1":
        explorer.screenshot(path=ROOT / "figures" / f"browser_{name}.png", animations="disabled")


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", EXPLORERS)
def test_every_control_of_the_explorer_answers_on_screen(explorers: NotebookPage, name: str) -> None:
    output = explorer_output(explorers, name)
    figure, readout = output.locator(FIGURE), output.locator(READOUT)
    controls = output.locator(CONTROLS)
    assert figure.count() == 1 and controls.count() > 0, (
        f"{name}: {figure.count()} figures, {controls.count()} controls"
    )
    explorers.screenshot(output, f"{name}-initial")
    save_readme_figure(output.locator(".jp-OutputArea-output").first, name)  # without the prompt

    outcomes = {}
    for i in range(controls.count()):
        control = controls.nth(i)
        label = label_of(control)
        assert label, f"{name}: control {i} has no visible label"
        names = screen_reader_names(control)
        assert all(names), f"{name}: {label!r}: a part without a name for screen readers: {names}"
        if control.evaluate("element => element.querySelector('[disabled]') !== null"):
            outcomes[label] = "switched off by another control's setting (not operable, as shown)"
            continue
        before = explorers.screenshot(figure, f"{name}-{i}-before")
        action = operate(control)
        redrawn = explorers.wait_for(
            lambda before=before: REFUSAL in readout.inner_text() or figure.screenshot(animations="disabled") != before,
            timeout_s=REDRAW_TIMEOUT_S,
        )
        explorers.screenshot(output, f"{name}-{i}-after")
        refused = REFUSAL in readout.inner_text()
        outcomes[label] = f"{action}: " + (
            "refused, and says why" if refused else "figure changed" if redrawn else "NOTHING"
        )
        if refused:  # put it back, so that the next control starts from a possible setting
            operate(control, backwards=True)
            assert explorers.wait_for(lambda: REFUSAL not in readout.inner_text(), REDRAW_TIMEOUT_S), outcomes

    report = f"{name}:\n" + "\n".join(f"  {label}: {outcome}" for label, outcome in outcomes.items())
    print(report)
    assert not any(outcome.endswith("NOTHING") for outcome in outcomes.values()), report
    moved_sliders = [outcome for outcome in outcomes.values() if outcome.startswith("slider")]
    changed = moved_sliders or list(outcomes.values())  # the complexity explorer has drop-downs only
    assert any(outcome.endswith("figure changed") for outcome in changed), report
    assert not problems(explorers.cells()), f"{name}: " + "\n".join(problems(explorers.cells()))
