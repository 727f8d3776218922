"""nbgrader's settings for the course, read by every `nbgrader` command run from the repository root (and by the
formgrader of JupyterLab started here).

The course directory is assignments/ (built by `make assignments`, not in git): source/NN_name/ holds a copy of
each course notebook, release/NN_name/ the student's version. See README.md, "Teaching with swin-edu".
"""

from pathlib import Path

c = get_config()  # noqa: F821 (nbgrader defines get_config when it reads this file)

c.CourseDirectory.root = str(Path(__file__).resolve().parent / "assignments")

# A released solution cell keeps its first line and gets this comment instead of the solution. nbgrader's default
# stub raises NotImplementedError, which would stop Run All at the first exercise; the student answers in the
# exercise cell above (answer_K), whose check says what is missing.
c.ClearSolutions.code_stub = {
    "python": "# Not in this version: write your answer in the exercise cell above (answer_K = ...) and run it there."
}

# Autograding runs every cell of a submission; a notebook that trains takes minutes in its full setting (set
# SWIN_EDU_QUICK=1 in the environment of `nbgrader autograde` for the quick setting, as the tests do).
c.Execute.timeout = 1800  # seconds per cell
c.Execute.startup_timeout = 300  # seconds for the kernel to start on a busy machine
