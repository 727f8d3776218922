"""The student versions of `make assignments`, and autograding them with nbgrader, end to end (issue 12).

Every course notebook is released once, by tools/assignments.py, into a temporary course directory. Each release
must keep the student's answer cells and reveal nothing: no line of a solution, no hidden test, no stored output.
Then two of the quickest notebooks are submitted by three students and graded by `nbgrader autograde` (in the quick
setting, SWIN_EDU_QUICK=1): the instructor's version, the release left blank, and the release with every answer
filled in from its solution but one answer wrong. The scores are read from nbgrader's gradebook.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from exercise_cells import (
    BEGIN_HIDDEN_TESTS,
    BEGIN_SOLUTION,
    END_HIDDEN_TESTS,
    END_SOLUTION,
    between,
    exercises,
    read,
)
from nbgrader.api import Gradebook
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
# the two quickest notebooks to run top to bottom in the quick setting, measured one after another with one thread
# (`jupyter nbconvert --execute`, busy machine), user CPU seconds: 01 4.4, 08 5.8, 03 5.8, 00 6.1, 04 6.5, 02 7.1,
# 05 7.3, 07 8.8, 09 9.4, 06 10.8, 10 13.5, 12 16.8, 11 21.0
AUTOGRADED = ("01_patches", "03_relative_position")
STUDENTS = ("instructor", "blank", "one_wrong")
# nbgrader starts `alembic` when it creates a gradebook, and kernels: both from this environment; the kernels run
# the notebooks in their quick setting (notebooks/README.md), on one thread (two fight on a busy machine)
ENVIRONMENT = {
    **os.environ,
    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    "SWIN_EDU_QUICK": "1",
    "OMP_NUM_THREADS": "1",
}


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A course directory with every notebook released; and what the tool printed (it names refused notebooks)."""
    course = tmp_path_factory.mktemp("course")
    command = [sys.executable, str(ROOT / "tools" / "assignments.py"), "--course", str(course), *map(str, NOTEBOOKS)]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=ENVIRONMENT, timeout=600)
    return course, result.stdout + result.stderr


def released(course: tuple[Path, str], name: str) -> nbformat.NotebookNode:
    path = course[0] / "release" / name / f"{name}.ipynb"
    assert path.is_file(), f"make assignments did not release {name}:\n{course[1][-3000:]}"
    return read(path)


def lines_of_regions(notebook: nbformat.NotebookNode, begin: str, end: str) -> set[str]:
    """The lines between ``begin`` and ``end`` in the notebook's cells that appear nowhere else in it (stripped)."""
    inside, outside = set(), set()
    for cell in notebook.cells:
        lines = {line.strip() for line in cell.source.splitlines() if line.strip()}
        if begin in cell.source:
            region = {line.strip() for line in between(cell.source, begin, end) if line.strip()}
            inside |= region
            outside |= lines - region - {begin, end}
        else:
            outside |= lines
    return inside - outside


def all_lines(notebook: nbformat.NotebookNode) -> set[str]:
    return {line.strip() for cell in notebook.cells for line in cell.source.splitlines()}


@pytest.fixture(params=NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def notebook_path(request: pytest.FixtureRequest) -> Path:
    return request.param


def test_the_release_reveals_no_line_of_a_solution(course, notebook_path: Path) -> None:
    source, release = read(notebook_path), released(course, notebook_path.stem)
    solution_lines = lines_of_regions(source, BEGIN_SOLUTION, END_SOLUTION)
    assert solution_lines, "the course notebook has solutions (the test compares against them)"
    revealed = solution_lines & all_lines(release)
    assert not revealed, f"the release shows lines of a solution: {sorted(revealed)}"
    assert not {BEGIN_SOLUTION, END_SOLUTION} & all_lines(release)


def test_the_release_has_no_hidden_test(course, notebook_path: Path) -> None:
    source, release = read(notebook_path), released(course, notebook_path.stem)
    hidden = lines_of_regions(source, BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS)
    assert any(line.startswith("grade(") for line in hidden), "the course notebook grades with grade(check, ...)"
    assert not hidden & all_lines(release), f"the release shows hidden tests: {sorted(hidden & all_lines(release))}"
    assert not {BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS} & all_lines(release)


def test_the_release_keeps_every_answer_cell_and_the_stub(course, notebook_path: Path) -> None:
    source, release = read(notebook_path), released(course, notebook_path.stem)
    stub = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config().ClearSolutions.code_stub["python"]
    assert "raise" not in stub and all(line.startswith("#") for line in stub.splitlines()), "Run All must not stop"
    kept, source_exercises = exercises(release), exercises(source)
    assert len(kept) == len(source_exercises), "every exercise is released"
    for mine, original in zip(kept, source_exercises):
        assert [cell.source for cell in mine.tagged("exercise")] == [
            cell.source for cell in original.tagged("exercise")
        ], f"{original.name}: the answer cell is released as it is (answer_{original.number} = None)"
        first_line = original.tagged("solution")[0].source.strip().splitlines()[0]
        assert [cell.source.strip() for cell in mine.tagged("solution")] == [f"{first_line}\n{stub}"], (
            f"{original.name}: the released solution cell holds its first line and the stub"
        )


def test_the_release_stores_no_output(course, notebook_path: Path) -> None:
    release = released(course, notebook_path.stem)
    with_outputs = [index for index, cell in enumerate(release.cells) if cell.get("outputs")]
    assert not with_outputs, f"cells {with_outputs} of the release store outputs"
    assert "widgets" not in release.metadata, "the release stores the explorers' widget state"


# ------------------------------------------------------------------ autograding, end to end


def points(notebook: nbformat.NotebookNode) -> dict[str, int]:
    """``{grade_id: points}`` of the notebook's grading cells, read from their metadata."""
    return {
        cell.metadata["nbgrader"]["grade_id"]: cell.metadata["nbgrader"]["points"]
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("grade")
    }


def wrong_exercise(notebook: nbformat.NotebookNode) -> int:
    """The exercise the third student gets wrong: the first one worth the most points."""
    worth = {int(grade_id.split("-")[1]): value for grade_id, value in points(notebook).items()}
    return max(worth, key=lambda number: (worth[number], -number))


def filled_in(release: nbformat.NotebookNode, source: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The release with every answer cell replaced by its exercise's solution, and one answer wrong."""
    filled = nbformat.from_dict(release)
    wrong = wrong_exercise(source)
    for mine, original in zip(exercises(filled), exercises(source)):
        solution = "\n".join(between(original.tagged("solution")[0].source, BEGIN_SOLUTION, END_SOLUTION))
        if original.number == wrong:
            solution += f'\nanswer_{wrong} = "not the answer"  # a wrong answer, of a kind no check accepts'
        mine.tagged("exercise")[0].source = solution
    return filled


@pytest.fixture(scope="module")
def gradebook(course) -> Path:
    """The course's gradebook after three students' submissions of each AUTOGRADED notebook were autograded."""
    root = course[0]
    for name in AUTOGRADED:
        source, release = read(ROOT / "notebooks" / f"{name}.ipynb"), released(course, name)
        submissions = {"instructor": source, "blank": release, "one_wrong": filled_in(release, source)}
        for student, notebook in submissions.items():
            folder = root / "submitted" / student / name
            folder.mkdir(parents=True)
            nbformat.write(notebook, folder / f"{name}.ipynb")
        command = [shutil.which("nbgrader", path=ENVIRONMENT["PATH"]), "autograde", name, "--force"]
        command.append(f"--CourseDirectory.root={root}")
        result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=ENVIRONMENT, timeout=900)
        assert result.returncode == 0, f"nbgrader autograde {name} failed:\n{result.stderr[-3000:]}"
    return root / "gradebook.db"


def score(gradebook: Path, name: str, student: str, grade_id: str | None = None) -> tuple[float, float]:
    """``(score, max_score)`` of a student's submission of ``name`` (of one grading cell when ``grade_id``)."""
    with Gradebook(f"sqlite:///{gradebook}") as book:
        if grade_id is None:
            graded = book.find_submission(name, student)
        else:
            graded = book.find_grade(grade_id, name, name, student)
        return graded.score, graded.max_score


@pytest.mark.parametrize("name", AUTOGRADED)
def test_the_instructors_version_scores_full_marks(gradebook: Path, name: str) -> None:
    total = sum(points(read(ROOT / "notebooks" / f"{name}.ipynb")).values())
    assert score(gradebook, name, "instructor") == (total, total)


@pytest.mark.parametrize("name", AUTOGRADED)
def test_the_blank_release_scores_zero_and_runs_to_the_end(gradebook: Path, name: str) -> None:
    total = sum(points(read(ROOT / "notebooks" / f"{name}.ipynb")).values())
    assert score(gradebook, name, "blank") == (0, total)
    autograded = read(gradebook.parent / "autograded" / "blank" / name / f"{name}.ipynb")
    failed = [
        cell.metadata.get("tags", [])
        for cell in autograded.cells
        if any(output.output_type == "error" for output in cell.get("outputs", []))
    ]
    assert failed == [["grade"]] * len(points(autograded)), f"only the grading cells fail, got {failed}"
    unrun = [
        index for index, cell in enumerate(autograded.cells) if cell.cell_type == "code" and not cell.execution_count
    ]
    assert not unrun, f"code cells {unrun} did not run"


@pytest.mark.parametrize("name", AUTOGRADED)
def test_one_wrong_answer_loses_exactly_its_points(gradebook: Path, name: str) -> None:
    source = read(ROOT / "notebooks" / f"{name}.ipynb")
    worth, wrong = points(source), wrong_exercise(source)
    wrong_id = f"ex{name[:2]}-{wrong}-grade"
    assert wrong_id in worth
    total = sum(worth.values())
    assert score(gradebook, name, "one_wrong") == (total - worth[wrong_id], total)
    for grade_id, value in worth.items():
        assert score(gradebook, name, "one_wrong", grade_id) == (0 if grade_id == wrong_id else value, value)
