"""The exercises of a course notebook, cell by cell, as notebooks/README.md lays them out.

Read by the convention tests (tests/test_notebooks.py) and the assignment tests (tests/test_assignments.py).
Exercise K of a notebook is a markdown cell whose first line is ``### Exercise K (kind): title``, followed by its
cells up to the next markdown heading: the student's cells, among them one answer cell tagged ``exercise``, then a
solution cell tagged ``solution`` and a grading cell tagged ``grade`` (both with nbgrader metadata).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

KINDS = ("predict, then check", "break it and watch", "reason it out")
HEADING = re.compile(r"### Exercise (\d+) \(([^)]*)\): (\S.*)")
SOLUTION_FIRST_LINE = "# A solution: expand this cell once you have an answer of your own"
GRADED_FIRST_LINE = re.compile(r"# Graded \((\d+) (points?)\): \S")
BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN_TESTS, END_HIDDEN_TESTS = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
RESTART_LINE = "**After a kernel restart:**"


@dataclass
class Exercise:
    """Exercise ``number`` of a notebook: its heading cell and the cells after it, up to the next heading."""

    number: int
    kind: str
    title: str
    heading: NotebookNode = field(repr=False)
    cells: list[NotebookNode] = field(repr=False)

    @property
    def name(self) -> str:
        return f"Exercise {self.number} ({self.title})"

    def tagged(self, tag: str) -> list[NotebookNode]:
        """The code cells of this exercise tagged ``tag``."""
        return [cell for cell in self.cells if cell.cell_type == "code" and tag in cell.metadata.get("tags", [])]


def read(path: Path) -> NotebookNode:
    return nbformat.read(path, as_version=4)


def first_line(cell: NotebookNode) -> str:
    return cell.source.lstrip().split("\n", 1)[0]


def is_heading(cell: NotebookNode) -> bool:
    return cell.cell_type == "markdown" and first_line(cell).startswith("#")


def exercises(notebook: NotebookNode) -> list[Exercise]:
    """Every exercise of ``notebook``, in order. A heading that starts ``### Exercise`` but does not read
    ``### Exercise K (kind): title`` is returned with number 0 and its whole first line as the title."""
    found = []
    cells = notebook.cells
    for index, cell in enumerate(cells):
        if not (cell.cell_type == "markdown" and first_line(cell).startswith("### Exercise")):
            continue
        end = next((later for later in range(index + 1, len(cells)) if is_heading(cells[later])), len(cells))
        match = HEADING.fullmatch(first_line(cell))
        number, kind, title = (int(match[1]), match[2], match[3]) if match else (0, "", first_line(cell))
        found.append(Exercise(number, kind, title, cell, cells[index + 1 : end]))
    return found


def output_text(cell: NotebookNode) -> str:
    """Everything a code cell printed or displayed as text."""
    parts = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            parts.append(output.text)
        elif "data" in output and "text/plain" in output.data:
            parts.append(output.data["text/plain"])
    return "".join(parts)


def parse(cell: NotebookNode) -> ast.Module:
    """The cell's code as a Python syntax tree (AssertionError naming the cell when it does not parse)."""
    try:
        return ast.parse(cell.source)
    except SyntaxError as error:
        raise AssertionError(f"this cell is not valid Python ({error}):\n{cell.source}") from error


def exercise_imports(cell: NotebookNode) -> set[str]:
    """The names the cell imports from ``swin_edu.exercises`` or one of its modules."""
    return {
        alias.asname or alias.name
        for node in ast.walk(parse(cell))
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[:2] == ["swin_edu", "exercises"]
        for alias in node.names
    }


def calls(cell: NotebookNode, function: str) -> list[ast.Call]:
    """Every call ``function(...)`` in the cell (by plain name)."""
    return [
        node
        for node in ast.walk(parse(cell))
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == function
    ]


def checks_called_on(cell: NotebookNode, variable: str) -> list[str]:
    """The names of the ``check_*`` functions the cell calls with ``variable`` as the first argument."""
    return [
        node.func.id
        for node in ast.walk(parse(cell))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id.startswith("check_")
        and node.args
        and isinstance(node.args[0], ast.Name)
        and node.args[0].id == variable
    ]


def assignments(cell: NotebookNode, variable: str) -> list[ast.expr]:
    """The values assigned to ``variable`` at the top level of the cell (``variable = value``)."""
    return [
        node.value
        for node in parse(cell).body
        if isinstance(node, ast.Assign)
        and any(isinstance(target, ast.Name) and target.id == variable for target in node.targets)
    ]


def is_blank_answer(cell: NotebookNode, variable: str) -> bool:
    """Whether the cell leaves ``variable`` blank: ``variable = None``, or ``variable = name`` for a function
    ``def name(...)`` of the cell that returns nothing but None (the template of a function answer)."""
    values = assignments(cell, variable)
    if len(values) != 1:
        return False
    value = values[0]
    if isinstance(value, ast.Constant) and value.value is None:
        return True
    if not isinstance(value, ast.Name):
        return False
    definitions = [node for node in parse(cell).body if isinstance(node, ast.FunctionDef) and node.name == value.id]
    returns = [node for definition in definitions for node in ast.walk(definition) if isinstance(node, ast.Return)]
    return bool(returns) and all(isinstance(node.value, ast.Constant) and node.value.value is None for node in returns)


def between(source: str, begin: str, end: str) -> list[str]:
    """The lines of ``source`` strictly between the delimiter lines ``begin`` and ``end`` (each used once)."""
    lines = [line.strip() for line in source.splitlines()]
    assert lines.count(begin) == 1 and lines.count(end) == 1, f"expected one '{begin}' and one '{end}' line"
    start, stop = lines.index(begin), lines.index(end)
    assert start < stop, f"'{begin}' should come before '{end}'"
    return source.splitlines()[start + 1 : stop]


def notebook_number(path: Path) -> str:
    """``"04"`` for ``04_shifted_windows.ipynb``."""
    return path.stem[:2]
