"""Build the nbgrader course directory from the course notebooks and write the student versions.

    python tools/assignments.py notebooks/[0-9]*.ipynb                  (what `make assignments` runs)
    python tools/assignments.py --course /tmp/course notebooks/04_shifted_windows.ipynb

Each notebook becomes one assignment named by its stem: a copy goes to COURSE/source/NN_name/NN_name.ipynb and
nbgrader's generate_assignment writes COURSE/release/NN_name/NN_name.ipynb, with the text between the solution
delimiters replaced by the comment of nbgrader_config.py, the hidden tests removed and every output cleared (the
output of a "break it" or "predict" cell would show what the student is asked to find). The course directory is
assignments/ unless --course says otherwise; a lecturer's submissions, grades and gradebook there are kept.

A notebook is refused, before anything of it is written, when its solution or grading cells do not follow the
convention of notebooks/README.md (nbgrader would then release a solution); every release is checked after it is
written and removed if it could reveal one. The other notebooks are still released; the command then fails, naming
each notebook refused and why.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import nbformat
from nbgrader.apps import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parent.parent
DELIMITERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
GRADED_TAGS = {"solution": "solution", "grade": "grade"}  # the tag of a cell -> the nbgrader flag it must carry


class NotReleasable(ValueError):
    """A notebook, or the release written from it, that would reveal a solution."""


def graded_cells_problems(notebook: nbformat.NotebookNode) -> list[str]:
    """What keeps the notebook's solution and grading cells from being released safely (empty when nothing)."""
    problems = []
    for index, cell in enumerate(notebook.cells):
        tags = set(cell.metadata.get("tags", [])) & set(GRADED_TAGS)
        nbgrader = cell.metadata.get("nbgrader", {})
        for tag in tags:
            if not nbgrader.get(GRADED_TAGS[tag]):
                problems.append(f'cell {index} is tagged "{tag}" but its metadata lacks "nbgrader": {{"{tag}": true}}')
            begin, end = ("BEGIN SOLUTION", "END SOLUTION") if tag == "solution" else DELIMITERS[2:]
            if f"### {begin}" not in cell.source or f"### {end}" not in cell.source:
                problems.append(f'cell {index} is tagged "{tag}" but has no "### {begin}" ... "### {end}" lines')
    if not any(cell.metadata.get("nbgrader", {}).get("grade") for cell in notebook.cells):
        problems.append('no grading cell (tag "grade", nbgrader metadata with points): nothing to grade')
    return problems


def release_problems(release: nbformat.NotebookNode, stub: str) -> list[str]:
    """What in a written release could reveal a solution (empty when nothing)."""
    problems = []
    for index, cell in enumerate(release.cells):
        for delimiter in DELIMITERS:
            if delimiter in cell.source:
                problems.append(f'cell {index} still contains "{delimiter}"')
        if cell.cell_type == "code" and cell.outputs:
            problems.append(f"cell {index} has stored outputs")
        nbgrader = cell.metadata.get("nbgrader", {})
        lines = cell.source.strip().splitlines()
        if nbgrader.get("solution") and lines[1:] != stub.splitlines():
            problems.append(f"solution cell {index} should hold its first line and the stub, holds {lines[1:]}")
        if nbgrader.get("grade") and len(lines) > 1:
            problems.append(f"grading cell {index} should hold only its first line, holds {lines}")
    return problems


def course_api(course: Path) -> NbGraderAPI:
    """nbgrader's API on the course directory ``course``, with the settings of nbgrader_config.py."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    config.CourseDirectory.root = str(course.resolve())
    return NbGraderAPI(CourseDirectory(config=config), config=config)


def release_notebook(api: NbGraderAPI, path: Path) -> Path:
    """Copy ``path`` into the course's source/ and release it; return the path of the student version."""
    if path.suffix != ".ipynb" or not path.is_file():
        raise NotReleasable(f"expected an existing .ipynb file, got {path}")
    problems = graded_cells_problems(nbformat.read(path, as_version=4))
    if problems:
        raise NotReleasable(f"{path}: not released, it does not follow notebooks/README.md:" + listed(problems))
    course, name = Path(api.coursedir.root), path.stem
    (course / "source" / name).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, course / "source" / name / path.name)
    result = api.generate_assignment(name, force=True)
    if not result["success"]:
        log = "\n".join(part for part in (result.get("log"), result.get("error")) if part)
        raise NotReleasable(f"{path}: nbgrader generate_assignment failed:\n{log}")
    release_path = course / "release" / name / path.name
    release = nbformat.read(release_path, as_version=4)
    release.metadata.pop("widgets", None)  # the stored state of the explorers: views with no outputs to restore
    nbformat.write(release, release_path)
    problems = release_problems(release, api.config.ClearSolutions.code_stub["python"])
    if problems:
        shutil.rmtree(release_path.parent)
        raise NotReleasable(f"{release_path}: removed, it could reveal a solution:" + listed(problems))
    return release_path


def listed(problems: list[str]) -> str:
    return "".join(f"\n  {problem}" for problem in problems)


def main(arguments: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="+", type=Path, help="course notebooks (notebooks/NN_name.ipynb)")
    parser.add_argument("--course", type=Path, default=ROOT / "assignments", help="the course directory")
    options = parser.parse_args(arguments)
    # nbgrader runs the `alembic` command when it creates a gradebook: the one installed next to this Python
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    api = course_api(options.course)
    refused = []
    for path in options.notebooks:
        try:
            print(f"{release_notebook(api, path)}: the student version")
        except NotReleasable as error:
            refused.append(str(error))
    print(f"{len(options.notebooks) - len(refused)} assignments in {options.course / 'release'}")
    if refused:
        sys.exit("\n".join(refused) + f"\n{len(refused)} of {len(options.notebooks)} notebooks were not released")


if __name__ == "__main__":
    main(sys.argv[1:])
