"""The project's set-up files agree with each other."""

import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the test extras install tomli, the same parser
    import tomli as tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


def ci_pins() -> dict[str, str]:
    """``{package: version}`` of every ``package==version`` line of .ci/constraints.txt."""
    pins = {}
    for line in (ROOT / ".ci" / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def test_torch_is_pinned_for_ci_in_one_place():
    pins = ci_pins()
    assert {"torch", "torchvision"} <= set(pins), f".ci/constraints.txt must pin torch and torchvision, pins {pins}"
    for name in ["pyproject.toml", "environment.yml", "Makefile", ".ci/run"]:
        text = (ROOT / name).read_text()
        for package, version in pins.items():
            assert not re.search(rf"\b{package}\s*==", text) and version not in text, (
                f"{name} pins {package} {version} again: keep .ci/constraints.txt the one place"
            )
    assert "-c .ci/constraints.txt" in (ROOT / "Makefile").read_text()


def test_the_ci_pins_satisfy_what_pyproject_asks_for():
    pins = ci_pins()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    requirements = [Requirement(dep) for dep in project["dependencies"]]
    requirements += [Requirement(dep) for group in project["optional-dependencies"].values() for dep in group]
    pinned = [req for req in requirements if canonicalize_name(req.name) in pins]
    assert {canonicalize_name(req.name) for req in pinned} == set(pins), "a pin of a package pyproject does not name"
    for requirement in pinned:
        version = pins[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version), f"the CI pin {version} breaks pyproject's {requirement}"
