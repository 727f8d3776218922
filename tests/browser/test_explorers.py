"""Each explorer of `swin_edu.widgets`, used in JupyterLab as a student uses it: keyboard on the sliders, clicks on
the buttons, a choice in the drop-downs. Every control must get a visible answer (a new figure, or the reason why
the setting is impossible), and moving a slider must change the figure on screen (compared as screenshots).

The explorers are shown by tests/browser/explorers.ipynb (one cell each), so every explorer is exercised
whatever the course notebooks show. Screenshots go to test-artifacts/browser/; the first view of each explorer
is also written to figures/browser_<explorer>.png for the README when that file is missing or when
UPDATE_FIGURES=1.
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
]
CONTROLS = ".widget-slider, .widget-dropdown, .widget-toggle-buttons, .widget-checkbox"
FIGURE = "img.widget-image"
READOUT = ".widget-html-content"
REFUSAL = "Not possible"
REDRAW_TIMEOUT_S = 90  # the complexity explorer measures a new setting for a few seconds; 2 shared cores are slow


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
    """Change `control` as a person would; returns what was done. A slider at its end is moved the other way."""
    classes = control.get_attribute("class") or ""
    if "widget-slider" in classes:
        handle, readout = control.locator(".noUi-handle"), control.locator(".widget-readout")
        before = readout.inner_text()
        for key in ["ArrowLeft", "ArrowRight"] if backwards else ["ArrowRight", "ArrowLeft"]:
            handle.focus()
            handle.press(key)
            if readout.inner_text() != before:
                return f"slider {before} -> {readout.inner_text()} ({key})"
        raise AssertionError(f"the slider did not move from {before}")
    if "widget-dropdown" in classes:
        select = control.locator("select")
        options = select.locator("option").all_inner_texts()
        current = select.evaluate("element => element.selectedIndex")
        choice = options[(current + (-1 if backwards else 1)) % len(options)]
        select.select_option(label=choice)
        return f"drop-down {options[current]} -> {choice}"
    if "widget-toggle-buttons" in classes:
        buttons = control.locator("button")
        labels = buttons.all_inner_texts()
        current = next(i for i in range(len(labels)) if "mod-active" in (buttons.nth(i).get_attribute("class") or ""))
        choice = (current + (-1 if backwards else 1)) % len(labels)
        buttons.nth(choice).click()
        return f"buttons {labels[current]} -> {labels[choice]}"
    if "widget-checkbox" in classes:
        control.locator("input[type=checkbox]").click()
        return "checkbox toggled"
    raise AssertionError(f"no way to operate a control of class {classes!r}")


def label_of(control: Locator) -> str:
    """The text a person reads as the control's name (its description label)."""
    return " ".join(control.locator("label").all_inner_texts()).strip()


def save_readme_figure(explorer: Locator, name: str) -> None:
    path = ROOT / "figures" / f"browser_{name}.png"
    if os.environ.get("UPDATE_FIGURES") == "1" or not path.exists():
        explorer.screenshot(path=path, animations="disabled")


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
