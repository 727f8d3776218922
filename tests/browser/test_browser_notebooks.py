"""Every notebook of the course, run top to bottom through JupyterLab's menus in a real browser.

nbval already proves that the kernel runs each cell; this proves what the student sees: no error anywhere on
screen (also none inside a widget), every widget rendered as controls (not "Loading widget..." nor a line of
text), every figure on screen. Screenshots of the widget cells are kept in the browser tests' artifacts folder
(`servers.artifacts_dir("browser")`, outside the repository).
"""

import re
from pathlib import Path

import pytest
from lab_driver import NotebookPage, problems

ROOT = Path(__file__).resolve().parents[2]
COURSE = sorted(path.name for path in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
RUN_TIMEOUT_S = {"10_training_run.ipynb": 720}  # trains a small Swin on the CPU
DEFAULT_RUN_TIMEOUT_S = 300


def reading_order() -> list[str]:
    """The notebooks that notebooks/README.md names (`00_overview`, ...), in reading order."""
    names = re.findall(r"`(\d\d_\w+)`", (ROOT / "notebooks" / "README.md").read_text())
    return [f"{name}.ipynb" for name in dict.fromkeys(names)]


def test_every_notebook_of_the_course_is_here() -> None:
    """Guards the parametrised test below: a missing notebook fails here instead of being quietly not run."""
    assert COURSE == reading_order(), f"notebooks/ holds {COURSE}, notebooks/README.md names {reading_order()}"


@pytest.mark.timeout(900)
@pytest.mark.parametrize("name", [*COURSE, "smoke.ipynb"])
def test_notebook_runs_cleanly_in_jupyterlab(notebook: NotebookPage, name: str) -> None:
    notebook.open(name)
    notebook.run_all(timeout_s=RUN_TIMEOUT_S.get(name, DEFAULT_RUN_TIMEOUT_S))
    notebook.wait_for(lambda: not problems(notebook.cells()), timeout_s=30)  # widgets render a moment later
    cells = notebook.cells()
    for cell in cells:
        if cell.widget_outputs:
            notebook.screenshot(notebook.cell(cell.index).locator(".jp-Cell-outputArea"), f"cell{cell.index:02d}")
    found = problems(cells)
    assert not found, f"{name}:\n" + "\n".join(found)


def test_the_checks_see_what_goes_wrong(notebook: NotebookPage) -> None:
    """broken.ipynb fails in every way the checks above look for; each must be reported."""
    notebook.open("broken.ipynb")
    notebook.run_all(timeout_s=DEFAULT_RUN_TIMEOUT_S)
    found = "\n".join(problems(notebook.cells()))
    assert "traceback on screen" in found and "ValueError: a slider callback that fails" in found, found
    assert "an explorer without its controls and figure" in found, found  # the failing callback drew nothing
    assert "a widget shown as text" in found, found
    assert "error ZeroDivisionError" in found, found
    assert "did not run" in found, found
