"""Clear the stored outputs of solution and grading cells, after a notebook is executed.

    python tools/clear_solution_outputs.py notebooks/[0-9]*.ipynb

A collapsed cell in JupyterLab still shows its output, so a solution's stored "Correct" would sit in plain sight
under the exercise (with the number it printed). ``make notebooks`` runs this after executing every notebook; the
tests check that no solution or grading cell keeps an output. Nothing else in the notebook changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

HIDDEN_OUTPUT_TAGS = {"solution", "grade"}


def clear_solution_outputs(path: Path) -> int:
    """Clear the outputs of ``path``'s cells tagged ``solution`` or ``grade``; return how many cells changed."""
    notebook = nbformat.read(path, as_version=4)
    changed = 0
    for cell in notebook.cells:
        if cell.cell_type == "code" and HIDDEN_OUTPUT_TAGS & set(cell.metadata.get("tags", [])) and cell.outputs:
            cell.outputs = []
            changed += 1
    if changed:
        nbformat.write(notebook, path)
    return changed


def main(paths: list[str]) -> None:
    if not paths:
        sys.exit("usage: python tools/clear_solution_outputs.py NOTEBOOK.ipynb ...")
    for name in paths:
        path = Path(name)
        if path.suffix != ".ipynb" or not path.is_file():
            sys.exit(f"expected an existing .ipynb file, got {name}")
        print(f"{path}: cleared the outputs of {clear_solution_outputs(path)} solution or grading cells")


if __name__ == "__main__":
    main(sys.argv[1:])
