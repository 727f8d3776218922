"""Drive JupyterLab the way a student does: open a notebook, run it from the menu, look at what is on screen.

`LabServer` is the address of a running server (and its REST API, used only to tidy up kernels).
`NotebookPage` wraps a Playwright page showing one notebook. Actions go through the user interface (menus,
keyboard). Reading uses two views of each cell: the notebook model (execution count, output types: what the
student's notebook holds) and the DOM (what is rendered on screen: widgets, figures, text). The model is read
through `window.jupyterapp`, which the test server exposes (`--LabApp.expose_app_in_browser=True`).
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Locator, Page

NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook"
CELLS = f"{NOTEBOOK} .jp-Cell"
DIALOG = ".jp-Dialog"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_CONTROLS = (
    ".widget-slider, .widget-hslider, .widget-vslider, .widget-dropdown, .widget-checkbox, .widget-toggle-buttons,"
    " .widget-radio-box, .widget-button, .widget-text, .widget-select, .widget-play"
)
FIGURES = ".jp-RenderedImage img, .widget-image, .jupyter-matplotlib-figure canvas, canvas"
# what a widget looks like when its front-end extension is missing or broken
BROKEN_WIDGET_TEXT = ("Loading widget...", "Error displaying widget", "model not found", "Failed to load model")
INTERACTIVE = re.compile(r"\b\w+_explorer\(|\binteract\(")  # cells that show controls driving a figure
WIDGET_REPR = re.compile(r"^\s*\w+\((children|value|description|layout|options)=", re.MULTILINE)

# Every cell of the notebook in front: the model's view (source, execution, output types) and what is rendered.
READ_CELLS_JS = """([controls, figures]) => {
    const panel = window.jupyterapp.shell.currentWidget;
    return panel.content.widgets.map(cell => {
        const model = cell.model;
        const code = model.type === 'code';
        return {
            type: model.type,
            source: model.sharedModel.getSource(),
            execution_count: code ? model.executionCount : null,
            running: code ? model.executionState === 'running' : false,
            outputs: code ? model.outputs.toJSON().map(o => ({
                type: o.output_type, ename: o.ename || '', evalue: o.evalue || '', mimes: Object.keys(o.data || {}),
            })) : [],
            rendered: Array.from(cell.node.querySelectorAll('.jp-OutputArea-output')).map(node => ({
                mime: node.getAttribute('data-mime-type') || '',
                text: (node.innerText || '').slice(0, 2000),
                widgets: node.querySelectorAll('.jupyter-widgets').length,
                controls: node.querySelectorAll(controls).length,
                figures: node.querySelectorAll(figures).length,
            })),
        };
    });
}"""
KERNEL_STATUS_JS = "() => window.jupyterapp?.shell.currentWidget?.sessionContext?.session?.kernel?.status ?? 'none'"


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab: where it listens, its token, and the folder it serves."""

    port: int
    token: str
    root_dir: Path

    def url(self, path: str) -> str:
        separator = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}{path}{separator}token={self.token}"

    def api(self, method: str, path: str) -> object:
        request = urllib.request.Request(self.url(path), method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        for kernel in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{kernel['id']}")


@dataclass(frozen=True)
class Rendered:
    """One output as the browser renders it."""

    mime: str  # the MIME type JupyterLab chose to render
    text: str  # its visible text
    widgets: int  # rendered ipywidgets views inside it
    controls: int  # widget controls inside it (sliders, dropdowns, ...)
    figures: int  # images and canvases inside it


@dataclass(frozen=True)
class Cell:
    """One cell: what the notebook model holds and what is on screen."""

    index: int
    type: str
    source: str
    execution_count: int | None
    running: bool
    outputs: list[dict]  # {type, ename, evalue, mimes} per output in the model
    rendered: list[Rendered]

    @property
    def runnable(self) -> bool:
        """A code cell with code in it (JupyterLab gives an empty cell no execution number)."""
        return self.type == "code" and bool(self.source.strip())

    @property
    def errors(self) -> list[str]:
        return [f"{o['ename']}: {o['evalue']}" for o in self.outputs if o["type"] == "error"]

    @property
    def widget_outputs(self) -> int:
        return sum(WIDGET_MIME in o["mimes"] for o in self.outputs)

    def describe(self) -> str:
        first_line = self.source.strip().splitlines()[0] if self.source.strip() else ""
        return f"cell {self.index} [{self.execution_count}] {first_line[:70]!r}"


class NotebookPage:
    """One notebook open in JupyterLab, driven through its menus and read from its model and DOM."""

    def __init__(self, page: Page, server: LabServer, artifacts: Path) -> None:
        self.page = page
        self.server = server
        self.artifacts = artifacts
        self.name = ""

    def open(self, name: str, timeout_s: float = 180) -> None:
        """Open `name` with a fresh workspace (`?reset`) and wait until its kernel is idle."""
        self.name = name
        self.page.goto(self.server.url(f"/lab/tree/{name}?reset"), timeout=timeout_s * 1000)
        self.page.locator(CELLS).first.wait_for(timeout=timeout_s * 1000)
        self.fail_on_dialog()
        assert self._wait(lambda: self.kernel_status() == "idle", timeout_s), f"{name}: kernel {self.kernel_status()}"

    def kernel_status(self) -> str:
        return self.page.evaluate(KERNEL_STATUS_JS)

    def fail_on_dialog(self) -> None:
        dialog = self.page.locator(DIALOG)
        if dialog.count():
            raise AssertionError(
                f"{self.name}: JupyterLab shows a dialog a student must answer: {dialog.first.inner_text()!r}"
            )

    def menu(self, top: str, item: str) -> None:
        """Click `top` in the menu bar, then `item` in the menu that opens."""
        self.page.locator(f'.lm-MenuBar-itemLabel:text-is("{top}")').click()
        self.page.locator(f'.lm-Menu-itemLabel:text-is("{item}")').click()

    def cells(self) -> list[Cell]:
        return [
            Cell(index=i, **{**cell, "rendered": [Rendered(**r) for r in cell["rendered"]]})
            for i, cell in enumerate(self.page.evaluate(READ_CELLS_JS, [WIDGET_CONTROLS, FIGURES]))
        ]

    def run_all(self, timeout_s: float) -> list[Cell]:
        """Edit > Clear Outputs of All Cells, then Run > Run All Cells; wait until the run ends.

        On a freshly started server the first Run All sometimes runs nothing; then it is clicked once more.
        The run ends when every cell has an execution number, or when a cell raised (Run All stops there).
        """
        self.menu("Edit", "Clear Outputs of All Cells")
        for attempt in range(2):
            self.menu("Run", "Run All Cells")
            started = self._wait(lambda: any(c.running or c.execution_count for c in self.cells()), timeout_s=30)
            if started:
                break
            assert attempt == 0, f"{self.name}: Run > Run All Cells ran nothing, twice"
        self._wait(lambda: self._finished(self.cells()), timeout_s=timeout_s, poll_s=2)
        cells = self.cells()
        assert self._finished(cells), f"{self.name}: still running after {timeout_s} s: {self._progress(cells)}"
        self.fail_on_dialog()
        return cells

    def _finished(self, cells: list[Cell]) -> bool:
        if self.kernel_status() != "idle" or any(c.running for c in cells):
            return False
        return all(c.execution_count for c in cells if c.runnable) or any(c.errors for c in cells)

    @staticmethod
    def _progress(cells: list[Cell]) -> str:
        runnable = [c for c in cells if c.runnable]
        return f"{sum(bool(c.execution_count) for c in runnable)} of {len(runnable)} code cells have run"

    def _wait(self, condition: Callable[[], bool], timeout_s: float, poll_s: float = 1.0) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if condition():
                return True
            self.page.wait_for_timeout(poll_s * 1000)
        return condition()

    def wait_for(self, condition: Callable[[], bool], timeout_s: float) -> bool:
        """Poll `condition` every half second for up to `timeout_s` seconds; whether it became true."""
        return self._wait(condition, timeout_s, poll_s=0.5)

    def cell(self, index: int) -> Locator:
        return self.page.locator(CELLS).nth(index)

    def screenshot(self, locator: Locator, label: str) -> bytes:
        """A screenshot of `locator`, also saved as <notebook>-<label>.png in the artifacts folder (not the repo)."""
        locator.scroll_into_view_if_needed()
        return locator.screenshot(path=self.artifacts / f"{Path(self.name).stem}-{label}.png", animations="disabled")


TRACEBACK = re.compile(r"Traceback \(most recent call last\)|^(\w+\.)*\w*(Error|Exception)\b", re.MULTILINE)


def problems(cells: list[Cell]) -> list[str]:
    """Everything a student would see go wrong in a notebook that has just been run top to bottom.

    - a code cell that did not run, or ran out of order;
    - an error output in the notebook, or a traceback rendered anywhere (also inside a widget's output, where
      the errors of slider callbacks appear);
    - a widget that did not render: its placeholder text ("Loading widget...", "Error displaying widget") or
      its plain-text repr ("IntSlider(value=...)") on screen instead of controls; an explorer (or `interact`)
      cell without both its controls and its figure;
    - an image output without an image on screen.
    """
    found = []
    runnable = [cell for cell in cells if cell.runnable]
    found += [f"{cell.describe()}: did not run" for cell in runnable if not cell.execution_count]
    counts = [cell.execution_count for cell in runnable if cell.execution_count]
    if counts != sorted(set(counts)):
        found.append(f"execution counts not increasing top to bottom: {counts}")
    for cell in cells:
        found += [f"{cell.describe()}: error {error}" for error in cell.errors]
        for output in cell.rendered:
            if output.mime == "application/vnd.jupyter.stderr" and TRACEBACK.search(output.text):
                found.append(f"{cell.describe()}: traceback on screen: {output.text[-300:]!r}")
            found += [f"{cell.describe()}: shows {text!r}" for text in BROKEN_WIDGET_TEXT if text in output.text]
            if output.mime == "text/plain" and WIDGET_REPR.search(output.text):
                found.append(f"{cell.describe()}: a widget shown as text: {output.text[:120]!r}")
        if cell.widget_outputs and not any(output.widgets for output in cell.rendered):
            found.append(f"{cell.describe()}: {cell.widget_outputs} widget output(s), none rendered")
        if (
            cell.runnable
            and INTERACTIVE.search(cell.source)
            and not any(o.controls and o.figures for o in cell.rendered)
        ):
            found.append(f"{cell.describe()}: an explorer without its controls and figure on screen")
        images = sum("image/png" in o["mimes"] or "image/svg+xml" in o["mimes"] for o in cell.outputs)
        if images > sum(output.figures for output in cell.rendered):
            found.append(f"{cell.describe()}: {images} image output(s), fewer on screen")
    return found
