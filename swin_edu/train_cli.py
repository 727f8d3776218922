"""The command line of ``python -m swin_edu.train``: flags to a :class:`~swin_edu.presets.TrainConfig`.

A wrong input ends the program with one line that says what was expected and what came, and exit code 2 (as
argparse does for a flag it cannot parse), never with a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import fields

from swin_edu.checkpoint import resume_config
from swin_edu.data import UnreadableImage
from swin_edu.presets import PRESETS, RUNTIME_FIELDS, TrainConfig, make_config
from swin_edu.recipe import NonFiniteLoss
from swin_edu.run_folder import RunFolderLocked

# what a user can cause, and gets as one line: bad flags or files (ValueError; OSError: a missing file, an existing
# run, a path through a file, a full disk), a busy run folder, a broken image, a loss that diverged
USER_ERRORS = (ValueError, OSError, RunFolderLocked, UnreadableImage, NonFiniteLoss)


def exit_with_error(program: str, error: BaseException) -> None:
    """End the program with ``program: error: message`` on one line and exit code 2."""
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    if "DataLoader worker" in str(error):  # an error raised in a loader process: its own message is the last line
        lines = [lines[-1].split(": ", 1)[-1]]
    message = " ".join(line.strip() for line in lines) or type(error).__name__
    print(f"{program}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m swin_edu.train",
        description="Train a Swin Transformer with the paper's recipe.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--preset", choices=list(PRESETS), help="data set, model and recipe (required unless --resume)")
    parser.add_argument(
        "--data", help="data folder (cifar*, imagenette: downloaded into it; imagefolder: DIR/train, DIR/val)"
    )
    parser.add_argument("--out", help="output folder (default runs/PRESET); a new run refuses a folder that holds one")
    parser.add_argument(
        "--resume",
        help="continue the run saved in this checkpoint (DIR/last.pt), with its own "
        "recipe; with --epochs N, extend it to N epochs",
    )
    recipe = parser.add_argument_group("recipe (defaults: the preset's)")
    for flag, kind in [
        ("epochs", int),
        ("batch-size", int),
        ("lr", float),
        ("min-lr", float),
        ("warmup-epochs", float),
        ("weight-decay", float),
        ("label-smoothing", float),
        ("mixup", float),
        ("cutmix", float),
        ("randaugment", int),
        ("erasing", float),
        ("clip-grad", float),
        ("seed", int),
        ("train-limit", int),
        ("val-limit", int),
    ]:
        recipe.add_argument(f"--{flag}", type=kind)
    recipe.add_argument(
        "--no-augment",
        dest="augment",
        action="store_false",
        default=None,
        help="no per-image augmentation (crops, flips, RandAugment, erasing)",
    )
    model = parser.add_argument_group("model (defaults: the preset's)")
    model.add_argument("--embed-dim", type=int)
    model.add_argument("--depths", type=int, nargs="+")
    model.add_argument("--num-heads", type=int, nargs="+")
    model.add_argument("--window-size", type=int)
    model.add_argument("--patch-size", type=int)
    model.add_argument("--drop-path", type=float, help="stochastic depth rate at the last block, in [0, 1)")
    runtime = parser.add_argument_group("running")
    runtime.add_argument("--workers", type=int, help="data-loading processes")
    runtime.add_argument("--device", help="cpu, cuda or cuda:N (default: cuda when available)")
    runtime.add_argument(
        "--precision",
        choices=["auto", "fp32", "bf16", "fp16"],
        help="autocast precision; auto: bf16 on CUDA, fp32 on the CPU",
    )
    runtime.add_argument("--channels-last", action=argparse.BooleanOptionalAction, help="default: on CUDA")
    runtime.add_argument("--compile", action="store_true", default=None, help="torch.compile the model")
    runtime.add_argument(
        "--no-download", dest="download", action="store_false", default=None, help="never download data"
    )
    runtime.add_argument("--no-progress", dest="progress", action="store_false", default=None, help="no progress bars")
    runtime.add_argument(
        "--skip-unreadable",
        action="store_true",
        default=None,
        help="leave out image files that cannot be decoded (counted and reported) instead of stopping",
    )
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """A :class:`TrainConfig` from parsed flags; with ``--resume``, the checkpoint's, and only running flags count."""
    model = {
        "embed_dim": args.embed_dim,
        "depths": args.depths,
        "num_heads": args.num_heads,
        "window_size": args.window_size,
        "patch_size": args.patch_size,
        "drop_path_rate": args.drop_path,
    }
    model = {key: value for key, value in model.items() if value is not None}
    settings = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if hasattr(args, f.name)}
    settings = {name: value for name, value in settings.items() if value is not None}
    if args.resume:
        recipe = [name for name in settings if name not in (*RUNTIME_FIELDS, "epochs")] + list(model)
        if recipe:
            flags = ", ".join("--" + name.replace("_", "-") for name in recipe)
            raise ValueError(
                f"--resume continues a run with its own recipe; only --epochs and running flags may "
                f"be given with it, not {flags}"
            )
        return resume_config(args.resume, **settings)
    if args.preset is None:
        raise ValueError("give --preset (one of " + ", ".join(PRESETS) + ") or --resume CHECKPOINT")
    return make_config(model=model or None, **settings)
