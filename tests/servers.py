"""What the tests that start servers share: a free port, an isolated Jupyter environment, waiting, stopping, logs.

Used by the browser tests (tests/browser/conftest.py: a throw-away JupyterLab) and the fresh-setup test
(tests/test_fresh_setup.py: `make lab` in a fresh clone). Importable as ``servers`` from any test module:
pytest puts tests/ on ``sys.path`` when it loads tests/conftest.py.

Tests never write into the repository. Logs and screenshots go to :func:`artifacts_dir`, outside it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ARTIFACTS_VARIABLE = "SWIN_EDU_TEST_ARTIFACTS"


def artifacts_dir(name: str) -> Path:
    """The folder for one kind of test's logs and screenshots, created if missing.

    ``$SWIN_EDU_TEST_ARTIFACTS/<name>`` when that variable is set (CI points it where it keeps artifacts),
    else ``<system temp>/swin-edu-test-artifacts/<name>``: never inside the repository.
    """
    root = os.environ.get(ARTIFACTS_VARIABLE) or Path(tempfile.gettempdir()) / "swin-edu-test-artifacts"
    folder = Path(root) / name
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def free_port() -> int:
    """A localhost TCP port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def jupyter_environment(home: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with every Jupyter folder moved under ``home``.

    Config, runtime, lab settings, workspaces and IPython profile then belong to the test alone: nothing the
    developer configured leaks in, and nothing the test does leaks out.
    """
    env = dict(os.environ if base is None else base)
    env.update(
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        IPYTHONDIR=str(home / "ipython"),
    )
    return env


def get(url: str, timeout_s: float = 30) -> tuple[int, bytes]:
    """``(status, body)`` of a GET request."""
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return response.status, response.read()


def start(command: list[str], log: Path, **popen_arguments) -> subprocess.Popen:
    """Start ``command`` in its own process group (so that :func:`stop` ends its children too), output to ``log``."""
    with log.open("w") as log_file:
        return subprocess.Popen(
            command, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True, **popen_arguments
        )


def wait_until_serving(url: str, process: subprocess.Popen, log: Path, timeout_s: float, what: str) -> None:
    """Poll ``url`` until it answers 200; fail with the end of ``log`` if ``process`` exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{what} exited with {process.returncode} before serving:\n{log.read_text()[-4000:]}")
        try:
            if get(url, timeout_s=5)[0] == 200:
                return
        except OSError:  # not listening yet (URLError and ConnectionError are OSErrors)
            time.sleep(1)
    pytest.fail(f"{what} did not serve within {timeout_s:.0f} s:\n{log.read_text()[-4000:]}")


def stop(process: subprocess.Popen, timeout_s: float = 30) -> None:
    """SIGTERM the process group of ``process`` (a server shuts its kernels down); SIGKILL it if it hangs."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
