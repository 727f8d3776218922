"""The folder a training run writes to: locked while a run uses it, never overwritten, saved in a safe order.

    best.pt        the checkpoint of the epoch with the best validation accuracy (the latest of equals)
    last.pt        the checkpoint of the last finished epoch: ``--resume DIR/last.pt`` continues from it
                   (a run stopped while writing its first ``last.pt`` resumes from ``best.pt``: see :func:`resumable`)
    metrics.jsonl  one JSON object per epoch (strict JSON: a non-finite number stops the run instead)
    .lock          who runs in the folder now (process id, machine, start time), held with ``flock``

Guarantees (each has a test in tests/test_checkpoint.py or tests/test_reliability.py):
- a new run refuses a folder that holds a run (resume it, or write elsewhere);
- one run at a time: a second one is told who holds the folder; the lock dies with its process, so a crashed
  run (even ``kill -9``) never leaves a stale lock behind;
- every file is written atomically (:func:`swin_edu.checkpoint.write_atomically`), ``best.pt`` before
  ``last.pt`` and ``metrics.jsonl`` last: whenever the run stops, ``best.pt`` holds the best epoch that
  ``last.pt`` has recorded, or a later one;
- temporary files that a killed run left are removed when the next run takes the lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from pathlib import Path
from typing import TYPE_CHECKING

from swin_edu.checkpoint import TEMPORARY_SUFFIX, save_checkpoint, write_atomically

if TYPE_CHECKING:
    from typing import Self  # Python 3.11; annotations are not evaluated at run time

RUN_FILES = ("last.pt", "best.pt", "metrics.jsonl")


class RunFolderLocked(RuntimeError):
    """Another process is training into the same folder."""


def check_run_folder(out: Path, resuming_from: Path | None) -> None:
    """Refuse ``out`` when it is a file, or when it holds a run other than the one being resumed."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {os.fspath(out)!r} is a file; give a folder for the run's checkpoints and metrics")
    if resuming_from is not None and out.resolve() == resuming_from.parent.resolve():
        return
    found = [name for name in RUN_FILES if (out / name).exists()]
    if found:
        raise FileExistsError(
            f"{os.fspath(out)!r} already holds a run ({', '.join(found)}); continue it with "
            f"--resume {os.fspath(resumable(out))} (add --epochs N to train it longer), "
            f"or start a new one elsewhere with --out NEW_FOLDER"
        )


def resumable(out: Path) -> Path:
    """The checkpoint to resume a run folder from: ``last.pt``, or ``best.pt`` when the run was stopped while it
    wrote its first ``last.pt`` (``best.pt`` is a whole checkpoint too, and then the newest)."""
    return out / "last.pt" if (out / "last.pt").exists() or not (out / "best.pt").exists() else out / "best.pt"


class RunFolder:
    """A context manager that holds a run folder's lock, and saves each epoch's files in a safe order.

    Only the process that writes (rank 0) enters it; ``RunFolderLocked`` says who else holds the folder.
    """

    def __init__(self, out: str | os.PathLike) -> None:
        self.out = Path(out)
        self.lock_file = None

    def __enter__(self) -> Self:
        self.out.mkdir(parents=True, exist_ok=True)
        lock_file = (self.out / ".lock").open("a+")
        try:
            fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock_file.seek(0)
            holder = lock_file.read().strip() or "another process"
            lock_file.close()
            raise RunFolderLocked(
                f"{os.fspath(self.out)!r} is in use by {holder}; wait until that run ends, "
                f"or write elsewhere with --out NEW_FOLDER"
            ) from None
        lock_file.seek(0)
        lock_file.truncate()
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        lock_file.write(f"process {os.getpid()} on {socket.gethostname()} (since {started})\n")
        lock_file.flush()
        self.lock_file = lock_file
        for stale in self.out.glob(f"*{TEMPORARY_SUFFIX}"):  # what a killed run was writing: never a whole file
            stale.unlink(missing_ok=True)
        return self

    def __exit__(self, *exc_info) -> None:
        if self.lock_file is not None:
            fcntl.flock(self.lock_file, fcntl.LOCK_UN)
            self.lock_file.close()
            self.lock_file = None

    def save_epoch(self, state: dict) -> None:
        """``best.pt`` when this epoch is the best so far, then ``last.pt``, then ``metrics.jsonl``.

        In this order a stop between two writes never leaves ``last.pt`` recording a best epoch whose weights
        were not yet saved; at worst ``best.pt`` is one epoch ahead of ``last.pt``, and resuming replays it.
        """
        history = state["history"]
        if history[-1]["val_acc"] >= max(record["val_acc"] for record in history):
            save_checkpoint(state, self.out / "best.pt")
        save_checkpoint(state, self.out / "last.pt")
        self.write_metrics(history)

    def write_metrics(self, history: list[dict]) -> None:
        """Rewrite ``metrics.jsonl`` from ``history`` (see :func:`write_metrics`)."""
        write_metrics(history, self.out / "metrics.jsonl")


def write_metrics(history: list[dict], path: Path) -> None:
    """``metrics.jsonl``: one JSON object per epoch, rewritten whole, so it always matches ``last.pt``.

    Strict JSON (``allow_nan=False``): NaN or infinity raise instead of writing a file no JSON reader accepts.
    """
    lines = "".join(json.dumps(record, allow_nan=False) + "\n" for record in history)
    write_atomically(path, lambda file: file.write(lines.encode()))
