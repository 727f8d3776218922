"""Evaluating a trained Swin: accuracy, loss, confusion matrix; loading a training checkpoint back into a model.

``python -m swin_edu.evaluate CHECKPOINT`` prints the validation accuracy of a checkpoint written by
``swin_edu.train`` and saves its confusion matrix as a figure next to it. :func:`model_from_checkpoint` gives the
trained :class:`~swin_edu.model.SwinTransformer` back (its bias tables and attention maps are what notebook 09
and the explorers show).
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
from matplotlib.figure import Figure
from torch import nn
from torch.utils.data import DataLoader

from swin_edu.model import SwinConfig, SwinTransformer
from swin_edu.weights import load_state_file

CHECKPOINT_KEYS = ("model", "model_config", "classes", "optimizer", "scheduler", "scaler", "epoch", "history", "rng", "config")


@dataclass
class Evaluation:
    """Mean cross-entropy loss, accuracy, and the confusion matrix ``(classes, classes)``: rows true, columns predicted."""

    loss: float
    accuracy: float
    confusion: torch.Tensor


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: DataLoader, device: torch.device | str, num_classes: int, dtype: torch.dtype | None = None
) -> Evaluation:
    """Run ``model`` over ``loader`` in eval mode (no augmentation, no dropout); sums over all processes if distributed.

    Args:
        model: any classifier ``(B, C, H, W) -> (B, num_classes)``.
        loader: yields ``(images, labels)``.
        device: where the model is.
        num_classes: size of the confusion matrix.
        dtype: autocast dtype (bf16, fp16) or None for full precision.
    """
    device = torch.device(device)
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), device=device)
    confusion = torch.zeros(num_classes, num_classes, dtype=torch.long, device=device)
    for images, labels in loader:
        images, labels = images.to(device), labels.to(device)
        with torch.autocast(device.type, dtype=dtype) if dtype else nullcontext():
            logits = model(images)
        loss_sum += F.cross_entropy(logits.float(), labels, reduction="sum")
        pairs = labels * num_classes + logits.argmax(1)  # (true, predicted) as one index
        confusion += torch.bincount(pairs, minlength=num_classes**2).view(num_classes, num_classes)
    model.train(was_training)
    if dist.is_initialized():
        dist.all_reduce(loss_sum)
        dist.all_reduce(confusion)
    count = max(int(confusion.sum()), 1)
    return Evaluation(loss_sum.item() / count, confusion.trace().item() / count, confusion.cpu())


def load_checkpoint(path: str | os.PathLike) -> dict:
    """Read a training checkpoint with ``weights_only=True``; a clear error for a missing, broken or foreign file."""
    if not Path(path).is_file():
        raise FileNotFoundError(f"no checkpoint at {os.fspath(path)!r}")
    checkpoint = load_state_file(path)  # ValueError naming the file when it is truncated or not a torch file
    missing = [key for key in CHECKPOINT_KEYS if not isinstance(checkpoint, dict) or key not in checkpoint]
    if missing:
        raise ValueError(f"{os.fspath(path)!r} is not a swin_edu training checkpoint: it lacks {', '.join(missing)}")
    return checkpoint


def model_from_checkpoint(path: str | os.PathLike, device: torch.device | str = "cpu") -> SwinTransformer:
    """The trained model of a checkpoint, in eval mode, with its class names as ``model.classes``."""
    checkpoint = load_checkpoint(path)
    model = SwinTransformer(SwinConfig(**checkpoint["model_config"]))
    model.load_state_dict(checkpoint["model"])
    model.classes = checkpoint["classes"]
    return model.to(device).eval()


# ------------------------------------------------------------------------------------------------- figures


def plot_curves(history: Sequence[dict]) -> Figure:
    """Loss (training and validation) and validation accuracy per epoch, side by side."""
    figure = Figure(figsize=(9, 3.2), layout="constrained")
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    epochs = [record["epoch"] for record in history]
    loss_axes.plot(epochs, [record["train_loss"] for record in history], "o-", ms=3, label="training")
    loss_axes.plot(epochs, [record["val_loss"] for record in history], "s--", ms=3, label="validation")
    loss_axes.set(xlabel="epoch", ylabel="cross-entropy loss", title="loss")
    loss_axes.legend()
    accuracy_axes.plot(epochs, [100 * record["val_acc"] for record in history], "o-", ms=3, color="C2")
    accuracy_axes.set(xlabel="epoch", ylabel="%", title="validation accuracy")
    accuracy_axes.grid(alpha=0.3)
    return figure


def plot_confusion_matrix(confusion: torch.Tensor, classes: Sequence[str]) -> Figure:
    """The confusion matrix as an image: row = true class, column = predicted, counts written in the cells."""
    size = max(4.0, 0.45 * len(classes) + 2)
    figure = Figure(figsize=(size, size), layout="constrained")
    axes = figure.subplots()
    axes.imshow(confusion.numpy(), cmap="Blues")
    if len(classes) <= 20:
        ticks = range(len(classes))
        axes.set_xticks(ticks, classes, rotation=90)
        axes.set_yticks(ticks, classes)
        for row, counts in enumerate(confusion.tolist()):
            for column, count in enumerate(counts):
                if count:
                    color = "white" if count > confusion.max() / 2 else "black"
                    axes.text(column, row, count, ha="center", va="center", fontsize=7, color=color)
    accuracy = confusion.trace().item() / max(int(confusion.sum()), 1)
    axes.set(xlabel="predicted", ylabel="true", title=f"accuracy {100 * accuracy:.2f}%")
    return figure


# ---------------------------------------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> None:
    from swin_edu.data import build_datasets  # only the command line needs the data sets

    parser = argparse.ArgumentParser(prog="python -m swin_edu.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("checkpoint", help="a best.pt or last.pt written by swin_edu.train")
    parser.add_argument("--data", help="data folder (default: the one the run used)")
    parser.add_argument("--figure", help="where to save the confusion matrix (default: next to the checkpoint)")
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args(argv)

    config = load_checkpoint(args.checkpoint)["config"]
    model = model_from_checkpoint(args.checkpoint, args.device)
    _, val_set = build_datasets(config["preset"], args.data or config["data"], download=False)
    loader = DataLoader(val_set, args.batch_size, num_workers=0 if config["preset"] == "digits" else 4)
    result = evaluate(model, loader, args.device, len(model.classes))
    figure_path = Path(args.figure or Path(args.checkpoint).with_suffix(".confusion.png"))
    plot_confusion_matrix(result.confusion, model.classes).savefig(figure_path, dpi=120)
    print(f"{args.checkpoint}: accuracy {100 * result.accuracy:.2f}% on {int(result.confusion.sum())} validation images, "
          f"loss {result.loss:.4f}; confusion matrix saved to {figure_path}")


if __name__ == "__main__":
    main(sys.argv[1:])
