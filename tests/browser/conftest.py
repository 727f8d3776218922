"""Fixtures for the browser tests: a throw-away JupyterLab server and a headless Debian chromium.

The server serves a temporary *copy* of notebooks/ (plus the notebooks in this folder), so a test run never
changes the course's notebooks; screenshots and the server log go outside the repository (tests/servers.py).
Its runtime, config, settings and workspace folders are temporary too, and the news notification and update
check are switched off, so nothing pops up over the cells. The browser is Debian's chromium driven by
Playwright, with a fresh profile. If chromium is missing the tests fail (never skip) and say how to install it.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_driver import LabServer, NotebookPage
from playwright.sync_api import Browser, Page, sync_playwright
from servers import artifacts_dir, free_port, jupyter_environment, start, stop, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
SERVER_START_TIMEOUT_S = 120

# The notebooks in this folder are material for the browser tests (broken.ipynb fails on purpose), not nbval tests.
collect_ignore_glob = ["*.ipynb"]

# JupyterLab user settings written into the throw-away settings folder.
LAB_SETTINGS = {
    # no "Would you like to receive official Jupyter news?" toast, no update check
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
    # keep every cell in the page (not only those scrolled into view), so that the tests can read them all
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


def chromium_path() -> str:
    """Debian's chromium, or a failure that says how to install it."""
    for candidate in (os.environ.get("CHROMIUM"), *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail(
        "The browser tests need Debian's chromium, which is not installed. Install it with\n"
        "    apt-get update && apt-get install -y chromium\n"
        "(or run `make browser` as root), or point the CHROMIUM environment variable at a chromium binary.",
        pytrace=False,
    )


def write_lab_settings(settings_dir: Path) -> None:
    for relative_path, values in LAB_SETTINGS.items():
        path = settings_dir / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))


def copy_notebooks(destination: Path) -> Path:
    """The course's notebooks and this folder's test notebooks, side by side in one throw-away folder.

    What the notebooks leave behind when run here (checkpoints, training runs, git-ignored) is not copied:
    the browser sees notebooks/ as a fresh clone has it.
    """
    shutil.copytree(
        ROOT / "notebooks", destination, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "runs", "data")
    )
    for notebook in HERE.glob("*.ipynb"):
        shutil.copy(notebook, destination / notebook.name)
    return destination


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Screenshots of this run, outside the repository (``servers.artifacts_dir("browser")``)."""
    return artifacts_dir("browser")


@pytest.fixture(scope="session")
def lab_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab on a free localhost port with a throw-away token, serving a copy of the notebooks."""
    home = tmp_path_factory.mktemp("jupyter")
    root_dir = copy_notebooks(home / "course")
    write_lab_settings(home / "settings")
    server = LabServer(port=free_port(), token=secrets.token_hex(16), root_dir=root_dir)

    env = jupyter_environment(home, {key: value for key, value in os.environ.items() if key != "MPLBACKEND"})
    jupyter = Path(sys.executable).parent / "jupyter"
    command = [
        str(jupyter), "lab", "--no-browser",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={server.port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={server.token}", f"--ServerApp.root_dir={root_dir}",
        f"--LabApp.user_settings_dir={home / 'settings'}", f"--LabApp.workspaces_dir={home / 'workspaces'}",
        "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.expose_app_in_browser=True",
    ]  # fmt: skip
    if os.geteuid() == 0:
        command.append("--allow-root")

    log = home / "server.log"
    process = start(command, log, env=env)  # the kernel draws inline: no MPLBACKEND
    try:
        wait_until_serving(server.url("/api/status"), process, log, SERVER_START_TIMEOUT_S, "JupyterLab")
        yield server
    finally:
        stop(process)
        shutil.copy(log, artifacts_dir("browser") / "jupyterlab-server.log")


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Browser]:
    """Headless Debian chromium (launched with a fresh profile by Playwright), one per test module.

    Not one per session: Playwright's sync API keeps its event loop registered as the main thread's running loop
    while it is open, and the tests after tests/browser/ (the explorers' rest timer, ``asyncio.run``) must find none.
    """
    executable = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, lab_server: LabServer, artifacts: Path, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser context and page; on failure its screenshot is kept; afterwards every kernel is shut down."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    new_page = context.new_page()
    yield new_page
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        new_page.screenshot(path=artifacts / f"FAILED-{request.node.name}.png", full_page=True)
    context.close()
    lab_server.shut_down_kernels()


@pytest.fixture
def notebook(page: Page, lab_server: LabServer, artifacts: Path) -> NotebookPage:
    """Drives one notebook in JupyterLab through the user interface (open, run all, read cells)."""
    return NotebookPage(page, lab_server, artifacts)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Remember each phase's report on the test item, so the page fixture knows whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
