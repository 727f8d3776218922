"""What a student sees of the exercises in JupyterLab: the question, their answer cell, and no solution (issue 12).

A solution or grading cell is collapsed (``source_hidden``); JupyterLab 4 then still shows its first line and
every output under it, and a cell that runs shows its outputs even if they were collapsed (``CodeCell.execute``
sets ``outputHidden = false``). So the student must see, before and after Run > Run All Cells:

- of each solution and grading cell, only its neutral first line ("# A solution: expand this cell once you have
  an answer of your own", "# Graded (1 point): the grader checks answer_1 here"): no answer, no output;
- under each answer cell (still ``answer_K = None``), "Waiting for an answer", never "Not yet".

What is on screen is read from the rendered page (``innerText``, which leaves out what is not displayed), what the
notebook holds from its model. One notebook is enough: every notebook follows the same convention
(tests/test_notebooks.py checks the cells' metadata and sources); 01 is the quickest with exercises (measured on
this machine: Run All 4.6 s, 03 6.7 s).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from lab_driver import NotebookPage, problems

NAME = "01_patches.ipynb"
RUN_TIMEOUT_S = 120
WAITING = "Waiting for an answer"
NEUTRAL_FIRST_LINES = {
    "solution": re.compile(r"# A solution: expand this cell once you have an answer of your own"),
    "grade": re.compile(r"# Graded \(\d+ points?\): the grader checks answer_\d+ here"),
}

# The exercise, solution and grading cells of the notebook in front: the model's view and what is on screen.
READ_EXERCISE_CELLS_JS = """() => {
    const panel = window.jupyterapp.shell.currentWidget;
    return panel.content.widgets.map((cell, index) => {
        const outputArea = cell.node.querySelector('.jp-Cell-outputArea');
        return {
            index,
            role: ['exercise', 'solution', 'grade'].find(tag => (cell.model.getMetadata('tags') || []).includes(tag)),
            source: cell.model.sharedModel.getSource(),
            collapsed: cell.inputHidden,
            stored_outputs: cell.model.type === 'code' ? cell.model.outputs.length : 0,
            on_screen: cell.node.innerText,
            outputs_on_screen: cell.outputHidden || !outputArea ? '' : outputArea.innerText,
        };
    }).filter(cell => cell.role);
}"""


@dataclass(frozen=True)
class ExerciseCell:
    """An exercise ("exercise": the answer cell), "solution" or "grade" cell, as the student's notebook shows it."""

    index: int
    role: str
    source: str
    collapsed: bool  # its input is collapsed (the student sees one line and clicks to expand)
    stored_outputs: int  # outputs the notebook model holds
    on_screen: str  # all the text the cell shows
    outputs_on_screen: str  # the text its output area shows ("" when the outputs are collapsed)

    @property
    def first_line(self) -> str:
        return self.source.strip().splitlines()[0] if self.source.strip() else ""

    def describe(self) -> str:
        return f"cell {self.index} ({self.role}) {self.first_line[:70]!r}"


def exercise_cells(notebook: NotebookPage) -> list[ExerciseCell]:
    return [ExerciseCell(**cell) for cell in notebook.page.evaluate(READ_EXERCISE_CELLS_JS)]


def what_gives_an_answer_away(cells: list[ExerciseCell], *, fresh: bool) -> list[str]:
    """Everything on screen that is not what a student who has not answered yet should see.

    `fresh`: the notebook was just opened, so the model holds the stored outputs (none under a solution).
    """
    found = []
    roles = [cell.role for cell in cells]
    if not roles or not roles.count("exercise") == roles.count("solution") == roles.count("grade"):
        found.append(f"expected one solution and one grading cell per answer cell, found {roles}")
    for cell in cells:
        if cell.role == "exercise":
            if not cell.outputs_on_screen.startswith(WAITING) or "Not yet" in cell.outputs_on_screen:
                found.append(f"{cell.describe()}: shows {cell.outputs_on_screen[:200]!r}, not {WAITING!r}")
            continue
        if not NEUTRAL_FIRST_LINES[cell.role].fullmatch(cell.first_line):
            found.append(f"{cell.describe()}: does not start with the neutral line {NEUTRAL_FIRST_LINES[cell.role]}")
        if not cell.collapsed:
            found.append(f"{cell.describe()}: not collapsed, its source is on screen")
        if cell.on_screen.strip() != cell.first_line:
            found.append(f"{cell.describe()}: shows more than its first line: {cell.on_screen.strip()[:300]!r}")
        if fresh and cell.stored_outputs:
            found.append(f"{cell.describe()}: {cell.stored_outputs} stored output(s)")
    return found


def test_a_student_sees_no_solution_before_or_after_run_all(notebook: NotebookPage) -> None:
    notebook.open(NAME)
    found = what_gives_an_answer_away(exercise_cells(notebook), fresh=True)
    assert not found, f"{NAME}, opened:\n" + "\n".join(found)

    cells = notebook.run_all(timeout_s=RUN_TIMEOUT_S)  # returns with the kernel idle
    assert not problems(cells), f"{NAME}, Run All:\n" + "\n".join(problems(cells))  # every cell ran, numbered
    after_run = exercise_cells(notebook)
    first_solution = next(cell for cell in after_run if cell.role == "solution")
    notebook.cell(first_solution.index).scroll_into_view_if_needed()  # what a student sees there, kept to look at
    notebook.page.screenshot(path=notebook.artifacts / f"{Path(NAME).stem}-exercise-after-run-all.png")
    found = what_gives_an_answer_away(after_run, fresh=False)
    assert not found, f"{NAME}, after Run All:\n" + "\n".join(found)
