"""The project's set-up files agree with each other."""

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]


def pip_section_of_environment_yml() -> set[str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("  - pip:")
    entries = [line.strip()[2:] for line in lines[start + 1 :] if line.strip().startswith("- ")]
    return {entry for entry in entries if not entry.startswith("-e")}


def test_environment_yml_installs_what_pyproject_names():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    named = set(project["dependencies"]) | {dep for group in project["optional-dependencies"].values() for dep in group}
    assert pip_section_of_environment_yml() == named


def test_torch_is_pinned_for_ci_in_one_place():
    constraints = (ROOT / ".ci" / "constraints.txt").read_text()
    assert re.search(r"^torch==2\.14\.1$", constraints, re.M) and re.search(
        r"^torchvision==0\.29\.1$", constraints, re.M
    )
    for name in ["pyproject.toml", "environment.yml", "Makefile", ".ci/run"]:
        assert "2.14.1" not in (ROOT / name).read_text(), (
            f"{name} pins torch again: keep .ci/constraints.txt the one place"
        )
    assert "-c .ci/constraints.txt" in (ROOT / "Makefile").read_text()
