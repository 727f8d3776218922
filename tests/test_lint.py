"""The code is lint-clean and formatted: `ruff check` and `ruff format --check`, as configured in pyproject.toml.

`make lint` runs the same two commands. Notebooks are left to nbval and tests/test_notebooks.py (pyproject's
`extend-exclude`). ruff runs with `--no-cache`, so the test writes nothing into the repository.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
COMMANDS = {"check": ["check"], "format": ["format", "--check"]}


def ruff() -> str:
    """The ruff of this environment (installed with the test extras), or a failure that says how to get it."""
    beside_python = Path(sys.executable).parent / "ruff"
    found = str(beside_python) if beside_python.exists() else shutil.which("ruff")
    if found is None:
        pytest.fail("ruff is not installed: pip install -e '.[test]' (it is one of the test extras)", pytrace=False)
    return found


def run_ruff(*arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    command = [ruff(), *arguments, "--no-cache", "--config", str(ROOT / "pyproject.toml"), "."]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("name", COMMANDS)
def test_the_repository_is_clean(name: str) -> None:
    result = run_ruff(*COMMANDS[name])
    assert result.returncode == 0, (
        f"`ruff {' '.join(COMMANDS[name])}` found problems (fix them, or run `ruff format` / `ruff check --fix`):\n"
        f"{(result.stdout + result.stderr)[-6000:]}"
    )


def test_ruff_reads_the_package_tests_and_benchmarks_but_not_notebooks() -> None:
    listed = run_ruff("check", "--show-files").stdout
    files = {Path(line.strip()).resolve().relative_to(ROOT).as_posix() for line in listed.splitlines() if line.strip()}
    for expected in ("swin_edu/weights.py", "swin_edu/exercises/__init__.py", "tests/test_lint.py"):
        assert expected in files, f"ruff does not look at {expected}: {sorted(files)[:10]} ..."
    assert any(path.startswith("benchmarks/") for path in files)
    assert not any(path.endswith(".ipynb") for path in files)


@pytest.mark.parametrize(
    "name, source",
    [("check", "import os\n\n\ndef f():\n    return 1\n"), ("format", "def f( x ):\n  return x\n")],
    ids=["unused import", "unformatted"],
)
def test_the_same_commands_fail_on_a_file_that_is_not_clean(tmp_path: Path, name: str, source: str) -> None:
    (tmp_path / "example.py").write_text(source)
    result = run_ruff(*COMMANDS[name], cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "example.py" in result.stdout + result.stderr
