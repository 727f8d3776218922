"""The training checkpoint: one schema, written atomically, read back with a clear error for anything else.

A checkpoint is a dict of tensors and plain values (``torch.load(..., weights_only=True)`` reads it):

    model, model_config, classes      the model part: enough to evaluate (:func:`model_from_checkpoint`)
    optimizer, scheduler, scaler      the optimizer's moments, the schedule's step, the fp16 loss scale
    epoch, history, config            epochs done, their metrics, the :class:`~swin_edu.presets.TrainConfig`

No random generator state is kept: every random draw of an epoch is seeded from (seed, epoch, rank), so a
resumed run replays exactly without it.

Files are written to a temporary file with a unique name in the same folder, flushed to disk (``fsync``), then
renamed over the target, and the folder entry is flushed too: a reader (or a crash) sees the old file or the new
one, never half of one.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import IO

import torch

from swin_edu.model import SwinConfig, SwinTransformer
from swin_edu.presets import RUNTIME_FIELDS, TrainConfig

MODEL_KEYS = ("model", "model_config", "classes")
CHECKPOINT_KEYS = (*MODEL_KEYS, "optimizer", "scheduler", "scaler", "epoch", "history", "config")
TEMPORARY_SUFFIX = ".tmp"


def write_atomically(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> None:
    """Write ``path`` whole or not at all: ``write(file)`` fills a unique temporary file, which then replaces it."""
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX)
    try:
        with os.fdopen(handle, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())  # the bytes are on disk before the name points at them
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    flush_folder(path.parent)


def flush_folder(folder: Path) -> None:
    """Flush a folder's entries (the rename) to disk; a no-op where folders cannot be opened (Windows)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


def save_checkpoint(state: dict, path: str | os.PathLike) -> None:
    """Write a checkpoint atomically; ``state`` must hold every key of :data:`CHECKPOINT_KEYS`."""
    missing = [key for key in CHECKPOINT_KEYS if key not in state]
    if missing:
        raise ValueError(f"a checkpoint needs {', '.join(CHECKPOINT_KEYS)}; missing {', '.join(missing)}")
    write_atomically(path, lambda file: torch.save(state, file))


def read_torch_file(path: str | os.PathLike) -> object:
    """``torch.load`` with ``weights_only=True``, and an error that names the file and says what it is instead."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint at {os.fspath(path)!r}")
    if not path.is_file():
        raise ValueError(f"{os.fspath(path)!r} is a folder, not a checkpoint file (e.g. {path / 'last.pt'})")
    size = path.stat().st_size
    if size == 0:
        raise ValueError(f"{os.fspath(path)!r} is empty (0 bytes), not a checkpoint")
    with path.open("rb") as file:
        start = file.read(2)
    if start != b"PK" and start[:1] != b"\x80":  # torch.save writes a zip archive (or, long ago, a pickle)
        raise ValueError(f"{os.fspath(path)!r} is not a file written by torch.save (it starts with {start!r})")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ValueError(
            f"{os.fspath(path)!r} is damaged, truncated or not a checkpoint ({size} bytes; torch.load says: {reason})"
        ) from error


def load_checkpoint(path: str | os.PathLike, keys: Sequence[str] = CHECKPOINT_KEYS) -> dict:
    """Read a training checkpoint, checking that it holds ``keys`` (all of them by default, as resuming needs)."""
    checkpoint = read_torch_file(path)
    if not isinstance(checkpoint, dict):  # a wrong file, not a wrong argument: the user's error, one line
        raise ValueError(  # noqa: TRY004
            f"{os.fspath(path)!r} holds a {type(checkpoint).__name__}, not a swin_edu training checkpoint"
        )
    missing = [key for key in keys if key not in checkpoint]
    if missing:
        hint = (
            "; pretrained weights load with swin_edu.load_pretrained" if "model" in checkpoint or not checkpoint else ""
        )
        raise ValueError(
            f"{os.fspath(path)!r} is not a swin_edu training checkpoint: it lacks {', '.join(missing)}{hint}"
        )
    return checkpoint


def model_from_state(checkpoint: dict, source: str = "the checkpoint") -> SwinTransformer:
    """The model of a checkpoint's model part, in eval mode, with its class names as ``model.classes``."""
    try:
        model = SwinTransformer(SwinConfig(**checkpoint["model_config"]))
        model.load_state_dict(checkpoint["model"])
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(
            f"{source} has a model part that does not fit its own model_config: {str(error).strip().splitlines()[0]}"
        ) from error
    model.classes = list(checkpoint["classes"])
    return model.eval()


def model_from_checkpoint(path: str | os.PathLike, device: torch.device | str = "cpu") -> SwinTransformer:
    """The trained model of a checkpoint file (only its model part is needed), in eval mode, on ``device``."""
    checkpoint = load_checkpoint(path, MODEL_KEYS)
    return model_from_state(checkpoint, repr(os.fspath(path))).to(device)


def check_classes(trained: Sequence[str], found: Sequence[str], data: str) -> None:
    """Refuse data whose classes are not the ones the checkpoint learned, in the same order (labels would lie)."""
    trained, found = [str(name) for name in trained], [str(name) for name in found]
    if len(trained) != len(found):
        raise ValueError(
            f"the checkpoint was trained on {len(trained)} classes but {data} has {len(found)}: "
            f"expected {shorten(trained)}, found {shorten(found)}"
        )
    differ = [i for i, (a, b) in enumerate(zip(trained, found)) if a != b]
    if differ:
        first = differ[0]
        raise ValueError(
            f"{data} has other class names than the checkpoint ({len(differ)} of {len(found)} differ; "
            f"the first, label {first}: expected {trained[first]!r}, found {found[first]!r}); "
            f"its labels would be read as the wrong classes"
        )


def shorten(names: Sequence[str], limit: int = 6) -> str:
    """A list of names, cut after ``limit`` entries."""
    shown = ", ".join(names[:limit])
    return f"[{shown}{', ...' if len(names) > limit else ''}]"


# ------------------------------------------------------------------------------------------------ resuming


def resume_config(checkpoint_path: str | os.PathLike, **runtime) -> TrainConfig:
    """The config a checkpoint was trained with, writing next to it, with ``runtime`` fields changed.

    Only :data:`~swin_edu.presets.RUNTIME_FIELDS` (where and how to run) and ``epochs`` (to extend the run) may
    change; the recipe is the checkpoint's.
    """
    unknown = sorted(set(runtime) - {*RUNTIME_FIELDS, "epochs"})
    if unknown:
        raise ValueError(
            f"a resumed run keeps its recipe; only epochs, {', '.join(RUNTIME_FIELDS)} may change, not {unknown}"
        )
    saved = load_checkpoint(checkpoint_path)["config"]
    known = {f.name for f in fields(TrainConfig)}
    config = TrainConfig(**{key: value for key, value in saved.items() if key in known})
    return replace(config, **{"out": str(Path(checkpoint_path).parent), **runtime}).check()


def check_resumable(config: TrainConfig, checkpoint: dict) -> None:
    """Refuse to resume with a recipe other than the checkpoint's (``epochs`` may grow: that extends the run)."""
    ours, theirs = plain(asdict(config)), plain(checkpoint["config"])
    changed = [
        name
        for name in ours
        if name not in (*RUNTIME_FIELDS, "epochs") and name in theirs and ours[name] != theirs[name]
    ]
    if changed:
        details = ", ".join(f"{name}: {theirs.get(name)!r} -> {ours[name]!r}" for name in changed)
        raise ValueError(f"the checkpoint was trained with another recipe ({details}); use resume_config(checkpoint)")
    if config.epochs < checkpoint["epoch"]:
        raise ValueError(
            f"--epochs must be at least the {checkpoint['epoch']} epochs the run has done; got {config.epochs}"
        )


def plain(value):
    """A value as JSON sees it (tuples become lists), for comparing configs."""
    return json.loads(json.dumps(value))
