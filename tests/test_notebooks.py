"""The course notebooks follow the conventions of notebooks/README.md.

Static checks of the stored notebooks (fast, no kernel): no error outputs, executed top to bottom in one go,
learning goals, the exercises (one test per part of notebooks/README.md's convention: kinds, answer cells waiting
for an answer, collapsed solutions between nbgrader's delimiters, grading cells), summary and references,
kernelspec and slide metadata, size, a page of the lecturer's guide. nbval (``pytest --nbval-lax``, configured in
pyproject.toml) re-runs every notebook and compares the cells marked ``# NBVAL_CHECK_OUTPUT``; the facts tests here
make sure every notebook has such cells and that nbval will compare them.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import nbformat
import pytest
from exercise_cells import (
    BEGIN_HIDDEN_TESTS,
    BEGIN_SOLUTION,
    END_HIDDEN_TESTS,
    END_SOLUTION,
    GRADED_FIRST_LINE,
    KINDS,
    RESTART_LINE,
    SOLUTION_FIRST_LINE,
    Exercise,
    assignments,
    calls,
    checks_called_on,
    exercise_imports,
    exercises,
    first_line,
    is_blank_answer,
    notebook_number,
    output_text,
    read,
)
from nbval.plugin import find_comment_markers, find_metadata_tags

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the test extras install tomli, the same parser
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("[0-9][0-9]_*.ipynb"))
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
SLIDE_TYPES = {"slide", "subslide", "fragment", "-", "skip", "notes"}
MAX_BYTES = 3 * 1024 * 1024
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
TAG_ORDER = ("exercise", "solution", "grade")  # the tagged cells of one exercise, in this order


def code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def slide_type(cell: nbformat.NotebookNode) -> str | None:
    return cell.metadata.get("slideshow", {}).get("slide_type")


def nbval_options(cell: nbformat.NotebookNode) -> dict:
    """How nbval treats a code cell: comment markers override metadata tags, as in nbval's collector."""
    options = dict(find_metadata_tags(cell.metadata))
    options.update(dict(find_comment_markers(cell.source)))
    return options


@pytest.fixture(params=NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def notebook_path(request: pytest.FixtureRequest) -> Path:
    return request.param


COURSE = (
    "00_overview",
    "01_patches",
    "02_window_attention",
    "03_relative_position",
    "04_shifted_windows",
    "05_block_and_merging",
    "06_whole_model",
    "07_input_size_and_resolution",
    "08_receptive_field",
    "09_training_recipe",
    "10_training_run",
    "11_what_each_piece_buys",
    "12_what_swin_sees",
)


def test_the_course_has_its_notebooks() -> None:
    assert [path.stem for path in NOTEBOOKS] == list(COURSE)


def test_the_readmes_name_every_notebook_in_order() -> None:
    """notebooks/README.md gives the reading order, README.md's course table a line per notebook."""
    reading_order = re.findall(r"`(\d\d_\w+)`", (NOTEBOOK_DIR / "README.md").read_text())
    assert list(dict.fromkeys(reading_order)) == list(COURSE)
    table = re.findall(r"^\| `(\d\d_\w+)` \|", (ROOT / "README.md").read_text(), flags=re.MULTILINE)
    assert table == list(COURSE)


def test_no_error_outputs(notebook_path: Path) -> None:
    for index, cell in enumerate(code_cells(read(notebook_path))):
        for output in cell.get("outputs", []):
            assert output.output_type != "error", (
                f"code cell {index} stored an error: {output.get('ename')}: {output.get('evalue')}"
            )
            if output.output_type == "stream":
                assert output.name != "stderr" or "Traceback" not in output.text, f"code cell {index}: a traceback"


def test_executed_top_to_bottom_in_one_go(notebook_path: Path) -> None:
    counts = [cell.execution_count for cell in code_cells(read(notebook_path))]
    unexecuted = [index for index, count in enumerate(counts) if count is None]
    assert not unexecuted, f"code cells {unexecuted} were not executed; run `make notebooks`"
    assert counts == list(range(1, len(counts) + 1)), f"execution counts {counts}: not run top to bottom in one go"


def test_starts_with_title_and_learning_goals(notebook_path: Path) -> None:
    first = read(notebook_path).cells[0]
    assert first.cell_type == "markdown"
    number = notebook_path.stem[:2]
    assert re.match(rf"# {number} · \S", first.source), f"the first cell should start with '# {number} · Title'"
    assert "## Learning goals" in first.source
    goals = first.source.split("## Learning goals", 1)[1]
    bullets = [line for line in goals.splitlines() if line.startswith("- ")]
    assert 3 <= len(bullets) <= 5, f"{len(bullets)} learning goals; the convention is 3-5"


def test_first_code_cell_imports_and_seeds(notebook_path: Path) -> None:
    first_code = code_cells(read(notebook_path))[0]
    assert "import" in first_code.source and "torch.manual_seed(0)" in first_code.source


# The exercise convention (notebooks/README.md, "Exercises"): each test checks one part of it for every exercise.


def the_one(exercise: Exercise, tag: str) -> nbformat.NotebookNode:
    """The exercise's one code cell tagged ``tag``; solution and grading cells are collapsed."""
    cells = exercise.tagged(tag)
    assert len(cells) == 1, f"{exercise.name}: one code cell tagged '{tag}', found {len(cells)}"
    if tag in ("solution", "grade"):
        assert cells[0].metadata.get("jupyter", {}).get("source_hidden") is True, f"{exercise.name}: collapse the {tag}"
    return cells[0]


def test_three_or_four_exercises_numbered_with_every_kind(notebook_path: Path) -> None:
    found = exercises(read(notebook_path))
    headings = [first_line(exercise.heading) for exercise in found]
    assert 3 <= len(found) <= 4, f"{len(found)} exercises {headings}; the convention is 3-4"
    for exercise in found:
        assert exercise.number, f"'{first_line(exercise.heading)}' should read '### Exercise K (kind): title'"
        assert exercise.kind in KINDS, f"{exercise.name}: the kind '{exercise.kind}' is not one of {KINDS}"
    assert [exercise.number for exercise in found] == list(range(1, len(found) + 1)), f"numbered 1, 2, ...: {headings}"
    missing = [kind for kind in KINDS if kind not in {exercise.kind for exercise in found}]
    assert not missing, f"no exercise of the kind {missing}; every notebook has each kind at least once"


def test_each_exercise_starts_a_slide_and_its_cells_do_not(notebook_path: Path) -> None:
    for exercise in exercises(read(notebook_path)):
        assert slide_type(exercise.heading) == "slide", f"{exercise.name}: the exercise's markdown starts a slide"
        for tag in ("exercise", "solution", "grade"):
            for cell in exercise.tagged(tag):
                assert slide_type(cell) == "-", f"{exercise.name}: the {tag} cell should have slide type '-'"


def test_each_exercise_has_one_answer_cell_waiting_for_an_answer(notebook_path: Path) -> None:
    for exercise in exercises(read(notebook_path)):
        answer, variable = the_one(exercise, "exercise"), f"answer_{exercise.number}"
        assert is_blank_answer(answer, variable), (
            f"{exercise.name}: the answer cell sets {variable} = None (or to a function that returns None)"
        )
        checks = checks_called_on(answer, variable)
        assert len(checks) == 1, f"{exercise.name}: the answer cell calls one check_*({variable}, ...), found {checks}"
        assert checks[0] in exercise_imports(answer), f"{exercise.name}: import {checks[0]} from swin_edu.exercises"
        assert output_text(answer).startswith("Waiting for an answer"), (
            f"{exercise.name}: the stored output of the answer cell should start 'Waiting for an answer', "
            f"got {output_text(answer)[:200]!r}"
        )


def test_each_solution_is_collapsed_delimited_and_runs_on_its_own(notebook_path: Path) -> None:
    number = notebook_number(notebook_path)
    for exercise in exercises(read(notebook_path)):
        solution = the_one(exercise, "solution")
        assert solution.metadata.get("nbgrader") == {
            "grade": False,
            "grade_id": f"ex{number}-{exercise.number}-solution",
            "locked": False,
            "schema_version": 3,
            "solution": True,
            "task": False,
        }, f"{exercise.name}: the solution's nbgrader metadata, see notebooks/README.md"
        lines = solution.source.strip().splitlines()
        assert lines[0] == SOLUTION_FIRST_LINE, f"{exercise.name}: the solution's first line is '{SOLUTION_FIRST_LINE}'"
        assert lines[1:2] == [BEGIN_SOLUTION] and lines[-1] == END_SOLUTION, (
            f"{exercise.name}: everything after the first line sits between {BEGIN_SOLUTION} and {END_SOLUTION}"
        )
        # JupyterLab shows a collapsed cell's output once it runs (Run All): a check's "Correct: ..." would show the
        # answer under the exercise, so the solution only sets the answer and the grading cell checks it, silently
        assert not checks_called_on(solution, f"answer_{exercise.number}"), (
            f"{exercise.name}: the solution sets its answer and calls no check (its verdict would show after Run All)"
        )
        assert assignments(solution, f"answer_{exercise.number}"), f"{exercise.name}: the solution sets its answer"
        assert not solution.outputs, f"{exercise.name}: a solution stores no output (tools/clear_solution_outputs.py)"


def test_each_grading_cell_grades_the_answer_with_the_same_check(notebook_path: Path) -> None:
    number = notebook_number(notebook_path)
    for exercise in exercises(read(notebook_path)):
        grading = the_one(exercise, "grade")
        assert grading.metadata.get("tags") == ["grade"], f"{exercise.name}: the grading cell's tags are ['grade']"
        metadata = dict(grading.metadata.get("nbgrader", {}))
        points = metadata.pop("points", None)
        assert metadata == {
            "grade": True,
            "grade_id": f"ex{number}-{exercise.number}-grade",
            "locked": True,
            "schema_version": 3,
            "solution": False,
            "task": False,
        }, f"{exercise.name}: the grading cell's nbgrader metadata, see notebooks/README.md"
        assert isinstance(points, int) and points > 0, f"{exercise.name}: points should be a positive whole number"
        lines = grading.source.strip().splitlines()
        heading = GRADED_FIRST_LINE.match(lines[0])
        assert heading and int(heading[1]) == points and (heading[2] == "point") == (points == 1), (
            f"{exercise.name}: the first line should read '# Graded ({points} point{'s' * (points > 1)}): ...', "
            f"got {lines[0]!r}"
        )
        assert lines[1:2] == [BEGIN_HIDDEN_TESTS] and lines[-1] == END_HIDDEN_TESTS, (
            f"{exercise.name}: everything after the first line sits between the HIDDEN TESTS delimiters"
        )
        variable = f"answer_{exercise.number}"
        check = (checks_called_on(exercise.tagged("exercise")[0], variable) or ["the exercise's check"])[0]
        graded = [
            [ast.unparse(argument) for argument in call.args[:2]] for call in calls(grading, "grade")
        ]  # grade(check, answer_K, ...)
        assert graded == [[check, variable]], f"{exercise.name}: the grading cell calls grade({check}, {variable}, ...)"
        assert {"grade", check} <= exercise_imports(grading), f"{exercise.name}: import grade and {check}"
        assert not grading.outputs, f"{exercise.name}: a grading cell stores no output"


def test_answer_solution_and_grading_cells_come_in_order(notebook_path: Path) -> None:
    for exercise in exercises(read(notebook_path)):
        order = [tag for cell in exercise.cells for tag in cell.metadata.get("tags", []) if tag in TAG_ORDER]
        assert order == list(TAG_ORDER), f"{exercise.name}: its tagged cells come as {order}, expected {TAG_ORDER}"


def test_grade_ids_are_unique_and_every_tagged_cell_is_in_an_exercise(notebook_path: Path) -> None:
    notebook = read(notebook_path)
    grade_ids = [cell.metadata["nbgrader"].get("grade_id") for cell in notebook.cells if "nbgrader" in cell.metadata]
    assert len(grade_ids) == len(set(grade_ids)), f"nbgrader grade_ids must be unique: {grade_ids}"
    for tag in TAG_ORDER:
        tagged = [cell for cell in notebook.cells if tag in cell.metadata.get("tags", [])]
        in_exercises = [cell for exercise in exercises(notebook) for cell in exercise.tagged(tag)]
        assert len(tagged) == len(in_exercises), (
            f"a cell tagged '{tag}' lies outside every exercise (one runs from its heading to the next heading)"
        )
    with_nbgrader = sum("nbgrader" in cell.metadata for cell in notebook.cells)
    assert with_nbgrader == 2 * len(exercises(notebook)), "nbgrader metadata only on solution and grading cells"


def test_no_separate_solution_markdown(notebook_path: Path) -> None:
    for cell in read(notebook_path).cells:
        if cell.cell_type == "markdown":
            assert not re.search(r"\*Solution\*|click to expand", cell.source), (
                f"no '*Solution* (click to expand)' cell: the solution's first line says it\n{cell.source[:200]}"
            )


def test_intro_says_what_to_run_after_a_kernel_restart(notebook_path: Path) -> None:
    cells = read(notebook_path).cells
    first_code = next(index for index, cell in enumerate(cells) if cell.cell_type == "code")
    lines = [
        (index, line)
        for index, cell in enumerate(cells)
        if cell.cell_type == "markdown"
        for line in cell.source.splitlines()
        if line.startswith(RESTART_LINE)
    ]
    assert len(lines) == 1, f"one line starting '{RESTART_LINE}' (which cell to run first), found {len(lines)}"
    assert lines[0][0] < first_code, f"the '{RESTART_LINE}' line belongs to the intro, before the first code cell"


def test_ends_with_summary_and_references(notebook_path: Path) -> None:
    markdown = "\n".join(cell.source for cell in read(notebook_path).cells if cell.cell_type == "markdown")
    assert "## Summary" in markdown
    assert "## References" in markdown
    assert "2103.14030" in markdown, "cite the paper, arXiv 2103.14030"


def test_kernelspec_and_slide_metadata(notebook_path: Path) -> None:
    notebook = read(notebook_path)
    assert notebook.metadata.get("kernelspec") == KERNELSPEC
    for index, cell in enumerate(notebook.cells):
        assert slide_type(cell) in SLIDE_TYPES, f"cell {index} has slide_type {slide_type(cell)!r}"


def test_under_3_mb(notebook_path: Path) -> None:
    size = notebook_path.stat().st_size
    assert size < MAX_BYTES, f"{size / 1e6:.1f} MB; lower the figure dpi or size"


def test_states_facts_that_nbval_checks(notebook_path: Path) -> None:
    checked = [cell for cell in code_cells(read(notebook_path)) if nbval_options(cell).get("check") is True]
    assert checked, "no cell is marked # NBVAL_CHECK_OUTPUT: the notebook states no fact that CI re-checks"
    for cell in checked:
        assert output_text(cell).strip(), f"a checked cell stores no text output:\n{cell.source[:200]}"
        assert not nbval_options(cell).get("skip"), "a checked cell must not be skipped"


def test_training_has_a_quick_setting_for_ci(notebook_path: Path) -> None:
    """A notebook that trains reads SWIN_EDU_QUICK (notebooks/README.md): CI runs every notebook twice."""
    source = "\n".join(cell.source for cell in code_cells(read(notebook_path)))
    if re.search(r"(?<![.\w])train\(", source):  # swin_edu.train.train, not model.train()
        assert 'os.environ.get("SWIN_EDU_QUICK")' in source, "a training cell needs the quick setting for CI"


def test_widget_outputs_are_ignored_and_skips_say_why(notebook_path: Path) -> None:
    for cell in code_cells(read(notebook_path)):
        options = nbval_options(cell)
        if any(WIDGET_MIME in output.get("data", {}) for output in cell.get("outputs", [])):
            assert options.get("check") is False, f"a widget cell needs # NBVAL_IGNORE_OUTPUT:\n{cell.source[:200]}"
        if options.get("skip"):
            assert re.search(r"GPU|CUDA|network|download", cell.source, re.IGNORECASE), (
                f"# NBVAL_SKIP only for a cell that needs a GPU or the network, saying so:\n{cell.source[:200]}"
            )


def test_nbval_runs_the_notebooks_in_lax_mode() -> None:
    """`pytest` (the CI command) collects the notebooks with nbval-lax and the sanitizer."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]
    assert "notebooks" in config["testpaths"]
    addopts = config["addopts"]
    assert "--nbval-lax" in addopts
    assert "--nbval-sanitize-with notebooks/sanitize.cfg" in addopts
    assert (NOTEBOOK_DIR / "sanitize.cfg").is_file()


GUIDE = ROOT / "docs" / "lecturers"
GUIDE_SECTIONS = (
    "## The 45-minute plan",
    "## Slides",
    "## Discussion questions",
    "## Common misconceptions",
    "## Exercises",
)


def test_the_lecturers_guide_has_a_page_per_notebook(notebook_path: Path) -> None:
    """docs/lecturers/README.md links the notebook's page; the page has the guide's sections, in order."""
    links = re.findall(rf"\[([^\]]+)\]\({notebook_path.stem}\.md\)", (GUIDE / "README.md").read_text())
    assert len(links) == 1, f"docs/lecturers/README.md links {notebook_path.stem}.md once, found {len(links)}"
    page = GUIDE / f"{notebook_path.stem}.md"
    assert page.is_file(), f"{page.relative_to(ROOT)}: the lecturer's guide page of {notebook_path.name}"
    text = page.read_text()
    assert text.startswith(f"# {notebook_number(notebook_path)}: "), f"{page.name} starts '# NN: title'"
    assert links[0] == text.splitlines()[0][2:], f"the index names the page by its title, {text.splitlines()[0]!r}"
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert [heading for heading in headings if heading in GUIDE_SECTIONS] == list(GUIDE_SECTIONS), (
        f"{page.name}: the sections {GUIDE_SECTIONS}, in this order; found {headings}"
    )
