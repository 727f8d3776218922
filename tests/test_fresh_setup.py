"""The README's two commands, tried as a new user tries them: from a fresh clone, into a new virtual environment.

`git clone` the repository's committed HEAD into a temporary folder, then, in the clone:
1. `make lab` (with VENV in the temporary folder): it must set everything up from nothing (a new venv, pip
   install; about 2-3 minutes, pip takes torch from local wheels or its cache), start JupyterLab and serve the
   course: /lab answers, and the contents API lists every notebook of notebooks/.
2. `make test`: the README's test command must pass. It runs on a small subset (one unit-test file, one notebook
   under nbval, the RISE browser test), chosen through PYTEST_ADDOPTS, so that the command is exactly the
   README's: running the whole suite again, recursively, would double the CI's time.
Any step the README forgets (a package, a file, a command) fails here. Uncommitted changes are not part of
the clone. Logs go to `servers.artifacts_dir("fresh-setup")`, outside the repository. Select or deselect with
`-m fresh_setup` / `-m "not fresh_setup"`.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
from pathlib import Path

import pytest
from servers import artifacts_dir, free_port, get, jupyter_environment, start, stop, wait_until_serving

ROOT = Path(__file__).resolve().parents[1]
SETUP_AND_START_TIMEOUT_S = 1200  # a new venv with torch: ~3 minutes here; a slow disk or network, much more
TEST_TIMEOUT_S = 900
SUBSET = (
    "tests/test_windows.py notebooks/00_overview.ipynb tests/browser/test_rise.py tests/browser/test_slides_offline.py"
)


def new_user_environment(home: Path) -> dict[str, str]:
    """This process's environment without any trace of the developer's venv or test settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"VIRTUAL_ENV", "MPLBACKEND", "PYTHONPATH", "PYTEST_ADDOPTS", "MAKEFLAGS", "MFLAGS", "MAKELEVEL"}
    }  # MAKE*: when the suite itself runs under `make test`, the inner make must not act as a sub-make
    developer_bin = str(Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin")
    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if p != developer_bin)
    env = jupyter_environment(home, env)
    env["BROWSER"] = "true"  # `make lab` opens a browser; on this headless machine the `true` command stands in
    return env


@pytest.mark.fresh_setup
@pytest.mark.timeout(SETUP_AND_START_TIMEOUT_S + TEST_TIMEOUT_S + 120)
def test_the_readme_commands_work_from_a_fresh_clone(tmp_path: Path) -> None:
    readme = (ROOT / "README.md").read_text()
    assert "make lab" in readme and "make test" in readme, (
        "README.md must give the two commands `make lab`, `make test`"
    )
    artifacts = artifacts_dir("fresh-setup")
    clone, venv = tmp_path / "swin-edu", tmp_path / "venv"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True, timeout=300)
    env = new_user_environment(tmp_path)

    # 1. make lab: set-up on first use, then JupyterLab serving notebooks/
    port, token = free_port(), secrets.token_hex(16)
    lab_env = {**env, "JUPYTER_PORT": str(port), "JUPYTER_TOKEN": token}
    lab_log = artifacts / "make-lab.log"
    lab = start(["make", "lab", f"VENV={venv}"], lab_log, cwd=clone, env=lab_env)  # make and JupyterLab: one group
    try:
        wait_until_serving(
            f"http://127.0.0.1:{port}/api/status?token={token}", lab, lab_log, SETUP_AND_START_TIMEOUT_S, "`make lab`"
        )
        status, page = get(f"http://127.0.0.1:{port}/lab?token={token}")
        assert status == 200 and b"JupyterLab" in page
        _, listing = get(f"http://127.0.0.1:{port}/api/contents/?token={token}")
        served = sorted(item["name"] for item in json.loads(listing)["content"] if item["type"] == "notebook")
        expected = sorted(path.name for path in (clone / "notebooks").glob("[0-9][0-9]_*.ipynb"))
        assert expected and set(expected) <= set(served), f"JupyterLab serves {served}, the course is {expected}"
    finally:
        stop(lab, timeout_s=60)
    assert (venv / "bin" / "python").exists(), "`make lab` did not create the virtual environment at VENV"

    # 2. make test, on a subset (see the module docstring)
    test_log = artifacts / "make-test.log"
    result = subprocess.run(
        ["make", "test", f"VENV={venv}"], cwd=clone, env={**env, "PYTEST_ADDOPTS": SUBSET},
        capture_output=True, text=True, timeout=TEST_TIMEOUT_S, check=False,
    )  # fmt: skip
    test_log.write_text(result.stdout + result.stderr)
    assert result.returncode == 0, f"`make test` failed:\n{(result.stdout + result.stderr)[-4000:]}"
    summary = [line for line in result.stdout.splitlines() if line.startswith("=")][-1]  # "== 9 passed in 61.2s =="
    assert re.fullmatch(r"=+ \d+ passed(, \d+ warnings?)? in .*", summary), f"`make test` ended with {summary!r}"
