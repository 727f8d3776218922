"""What each notebook's restart line promises (issue 12): "**After a kernel restart:** run the first code cell ...;
every solution cell then runs on its own". In a fresh kernel, after only the cells the line names, every solution
cell and its grading cell pass, in the quick setting. nbval runs the notebooks top to bottom and cannot see a
solution that leans on an earlier cell.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

import nbformat
import pytest
from exercise_cells import RESTART_LINE, exercises, read
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(params=NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def notebook_path(request: pytest.FixtureRequest) -> Path:
    return request.param


RESTART_PREPARATION = re.compile(r"run the first (?:(two|three) )?code cells?\b")


def preparation(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    """The code cells the notebook's restart line says to run first: the first one, two or three code cells; when
    the line names other cells (a notebook that trains first), every code cell before the first exercise."""
    line = next(line for cell in notebook.cells for line in cell.source.splitlines() if line.startswith(RESTART_LINE))
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    named = RESTART_PREPARATION.search(line)
    if named:
        return code[: {None: 1, "two": 2, "three": 3}[named[1]]]
    first_exercise = notebook.cells.index(exercises(notebook)[0].heading)
    return [cell for cell in notebook.cells[:first_exercise] if cell.cell_type == "code"]


def test_every_solution_and_grading_cell_passes_after_a_restart(notebook_path: Path, monkeypatch) -> None:
    """What the restart line promises: after the cells it names, every solution runs on its own and its grading
    cell passes (a fresh kernel runs only those cells, in the quick setting)."""
    notebook = read(notebook_path)
    cells = preparation(notebook)
    for exercise in exercises(notebook):
        cells += exercise.tagged("solution") + exercise.tagged("grade")
    monkeypatch.setenv("SWIN_EDU_QUICK", "1")
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    restarted = nbformat.v4.new_notebook(cells=copy.deepcopy(cells), metadata=notebook.metadata)
    client = NotebookClient(restarted, timeout=600, resources={"metadata": {"path": str(notebook_path.parent)}})
    try:
        client.execute()
    except CellExecutionError as error:
        pytest.fail(f"after a restart and the cells the restart line names, a cell fails:\n{str(error)[-2500:]}")
