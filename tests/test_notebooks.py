"""The course notebooks follow the conventions of notebooks/README.md.

Static checks of the stored notebooks (fast, no kernel): no error outputs, executed top to bottom in one go,
learning goals, exercises with checks and collapsed solutions, summary and references, kernelspec and slide
metadata, size. nbval (``pytest --nbval-lax``, configured in pyproject.toml) re-runs every notebook and compares
the cells marked ``# NBVAL_CHECK_OUTPUT``; the facts tests here make sure every notebook has such cells and
that nbval will compare them.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
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


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(notebook: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def output_text(cell: nbformat.NotebookNode) -> str:
    """Everything a code cell printed or displayed as text."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output and "text/plain" in output.data:
            parts.append(output.data["text/plain"])
    return "".join(parts)


def nbval_options(cell: nbformat.NotebookNode) -> dict:
    """How nbval treats a code cell: comment markers override metadata tags, as in nbval's collector."""
    options = dict(find_metadata_tags(cell.metadata))
    options.update(dict(find_comment_markers(cell.source)))
    return options


def is_exercise(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "markdown" and cell.source.lstrip().startswith("### Exercise")


def is_solution(cell: nbformat.NotebookNode) -> bool:
    return "solution" in cell.metadata.get("tags", [])


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


def test_exercises_with_checks_and_collapsed_solutions(notebook_path: Path) -> None:
    cells = read(notebook_path).cells
    notebook_source = "\n".join(cell.source for cell in cells if cell.cell_type == "code")
    starts = [index for index, cell in enumerate(cells) if is_exercise(cell)]
    assert 2 <= len(starts) <= 4, f"{len(starts)} exercises; the convention is 2-4"
    summary = [
        index for index, cell in enumerate(cells) if cell.cell_type == "markdown" and "## Summary" in cell.source
    ]
    ends = starts[1:] + summary[-1:] if summary else starts[1:] + [len(cells)]
    for start, end in zip(starts, ends):
        exercise = cells[start:end]
        title = exercise[0].source.splitlines()[0]
        assert exercise[0].metadata["slideshow"]["slide_type"] == "slide", f"{title}: an exercise starts a slide"
        answers = [cell for cell in exercise if cell.cell_type == "code" and not is_solution(cell)]
        solutions = [cell for cell in exercise if is_solution(cell)]
        assert answers, f"{title}: an answer cell for the student"
        called = re.findall(r"\b(check_\w+)\(", answers[0].source)
        assert called, f"{title}: the answer cell calls a check function"
        assert all(
            re.search(rf"from swin_edu\.exercises\.\w+ import [^\n]*\b{name}\b", notebook_source) for name in called
        ), f"{title}: the check {called} comes from swin_edu.exercises"
        assert "Hint:" in output_text(answers[0]), f"{title}: the stored answer cell should show the hint"
        assert len(solutions) == 1, f"{title}: one solution cell tagged 'solution'"
        solution = solutions[0]
        assert solution.cell_type == "code"
        assert solution.metadata.get("jupyter", {}).get("source_hidden") is True, f"{title}: collapse the solution"
        printed = output_text(solution)
        assert "Correct" in printed and "Not yet" not in printed, f"{title}: the solution must pass its check"


def test_ends_with_summary_and_references(notebook_path: Path) -> None:
    markdown = "\n".join(cell.source for cell in read(notebook_path).cells if cell.cell_type == "markdown")
    assert "## Summary" in markdown
    assert "## References" in markdown
    assert "2103.14030" in markdown, "cite the paper, arXiv 2103.14030"


def test_kernelspec_and_slide_metadata(notebook_path: Path) -> None:
    notebook = read(notebook_path)
    assert notebook.metadata.get("kernelspec") == KERNELSPEC
    for index, cell in enumerate(notebook.cells):
        slide_type = cell.metadata.get("slideshow", {}).get("slide_type")
        assert slide_type in SLIDE_TYPES, f"cell {index} has slide_type {slide_type!r}"


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
