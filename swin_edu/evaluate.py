"""Evaluating a trained Swin: loss, accuracy and the confusion matrix, in a program or from the command line.

``python -m swin_edu.evaluate CHECKPOINT`` prints the validation accuracy of a checkpoint written by
``swin_edu.train`` and saves its confusion matrix as a figure next to it (``swin_edu.viz.plot_confusion_matrix``).
:func:`swin_edu.checkpoint.model_from_checkpoint` gives the trained model back.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from swin_edu.checkpoint import MODEL_KEYS, check_classes, load_checkpoint, model_from_state
from swin_edu.data import build_datasets, class_names, collate_readable, default_workers
from swin_edu.distributed import resolve_device
from swin_edu.model import eval_mode
from swin_edu.presets import data_spec


@dataclass
class Evaluation:
    """Mean cross-entropy loss, accuracy, and the confusion matrix ``(classes, classes)``: rows true, columns predicted.

    ``images`` is how many images were evaluated (over all processes); unreadable images that were skipped are
    not among them.
    """

    loss: float
    accuracy: float
    confusion: torch.Tensor

    @property
    def images(self) -> int:
        return int(self.confusion.sum())


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: DataLoader, device: torch.device | str, num_classes: int, dtype: torch.dtype | None = None
) -> Evaluation:
    """Run ``model`` over ``loader`` in eval mode (no augmentation, no dropout); sums over all processes if distributed.

    Args:
        model: any classifier ``(B, C, H, W) -> (B, num_classes)``; its train/eval mode is restored afterwards.
        loader: yields ``(images, labels)`` (or None for a batch of unreadable images only, which is skipped).
        device: where the model is.
        num_classes: size of the confusion matrix.
        dtype: autocast dtype (bf16, fp16) or None for full precision.
    """
    device = torch.device(device)
    loss_sum = torch.zeros((), device=device)
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.long, device=device)
    with eval_mode(model):
        for batch in loader:
            if batch is None:
                continue
            images, labels = batch[0].to(device), batch[1].to(device)
            with torch.autocast(device.type, dtype=dtype) if dtype else nullcontext():
                logits = model(images)
            loss_sum += F.cross_entropy(logits.float(), labels, reduction="sum")
            pairs = labels * num_classes + logits.argmax(1)  # (true, predicted) as one index
            confusion += torch.bincount(pairs, minlength=num_classes**2).view(num_classes, num_classes)
    if dist.is_initialized():
        dist.all_reduce(loss_sum)
        dist.all_reduce(confusion)
    count = max(int(confusion.sum()), 1)
    return Evaluation(loss_sum.item() / count, confusion.trace().item() / count, confusion.cpu())


# ---------------------------------------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m swin_edu.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="a best.pt or last.pt written by swin_edu.train")
    parser.add_argument("--data", help="data folder (default: the one the run used); never downloads")
    parser.add_argument("--figure", help="where to save the confusion matrix (default: next to the checkpoint)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--workers", type=int, help="data-loading processes (default: one per CPU, at most 8)")
    parser.add_argument("--device", help="cpu, cuda or cuda:N (default: cuda when available)")
    parser.add_argument("--skip-unreadable", action="store_true", help="leave out images that cannot be decoded")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> str:
    """Evaluate as the flags say; returns the line to print. Every input is checked before the model runs."""
    from swin_edu.viz.training import plot_confusion_matrix  # only the command line draws

    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be at least 1; got {args.batch_size}")
    if args.workers is not None and args.workers < 0:
        raise ValueError(f"--workers must be 0 or more; got {args.workers}")
    device = resolve_device(args.device)
    checkpoint = load_checkpoint(args.checkpoint, (*MODEL_KEYS, "config"))
    config = checkpoint["config"]
    figure_path = Path(args.figure or Path(args.checkpoint).with_suffix(".confusion.png"))
    if figure_path.is_dir():
        raise ValueError(
            f"--figure {os.fspath(figure_path)!r} is a folder; give a file name such as "
            f"{os.fspath(figure_path / 'confusion.png')}"
        )
    figure_path.parent.mkdir(parents=True, exist_ok=True)

    if args.data is not None and not data_spec(config["preset"]).uses_folder:
        raise ValueError(
            f"--data is not used by the {config['preset']} preset (its images come with a package); got {args.data!r}"
        )
    data = args.data or config["data"]
    _, val_set = build_datasets(config["preset"], data, download=False, skip_unreadable=args.skip_unreadable)
    check_classes(checkpoint["classes"], class_names(val_set), f"the data ({data or config['preset']})")
    model = model_from_state(checkpoint, repr(args.checkpoint)).to(device)
    workers = args.workers if args.workers is not None else default_workers(data_spec(config["preset"]))
    loader = DataLoader(val_set, args.batch_size, num_workers=workers, collate_fn=collate_readable)
    result = evaluate(model, loader, device, len(model.classes))
    skipped = len(val_set) - result.images
    line = (
        f"{args.checkpoint}: accuracy {100 * result.accuracy:.2f}% on {result.images} validation images, "
        f"loss {result.loss:.4f}" + (f" ({skipped} unreadable images skipped)" if skipped else "")
    )
    print(line, flush=True)  # before the figure: whatever happens to the file, the result is on the screen
    plot_confusion_matrix(result.confusion, model.classes).savefig(figure_path, dpi=120)
    return f"confusion matrix saved to {figure_path}"


def main(argv: Sequence[str] | None = None) -> None:
    from swin_edu.train import USER_ERRORS, exit_with_error  # train imports this module: import it when called

    args = parse_args(argv)
    try:
        print(run(args))
    except USER_ERRORS as error:
        exit_with_error("python -m swin_edu.evaluate", error)
    except KeyboardInterrupt:
        print("\ninterrupted; nothing was written", file=sys.stderr)
        raise SystemExit(130) from None


if __name__ == "__main__":
    main(sys.argv[1:])
