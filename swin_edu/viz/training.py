"""A training run drawn: its curves per epoch, and the confusion matrix of an evaluation.

The training loss and the validation loss are two different quantities, so they get two axes: the training
loss is what the optimizer minimised (against targets softened by label smoothing, and blended by Mixup/CutMix
when those are on, so that it cannot fall to 0), the validation loss is the plain cross entropy of the true
labels of unaugmented images.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from matplotlib.figure import Figure


def smoothing_floor(label_smoothing: float, num_classes: int) -> float:
    """The lowest cross entropy against label-smoothed targets: their entropy, reached by a perfect model."""
    if label_smoothing <= 0:
        return 0.0
    off = label_smoothing / num_classes
    on = 1 - label_smoothing + off
    return -(on * math.log(on) + (num_classes - 1) * off * math.log(off))


def plot_curves(
    history: Sequence[dict], label_smoothing: float = 0.0, num_classes: int | None = None, mixing: bool = False
) -> Figure:
    """Training loss, validation loss and accuracy per epoch, each on its own axes.

    Args:
        history: one dict per epoch with ``epoch``, ``train_loss``, ``val_loss``, ``val_acc`` (``train_acc``
            optional), as ``swin_edu.train.train`` returns and ``metrics.jsonl`` stores.
        label_smoothing, num_classes: the run's; with both, the training-loss axes show the floor a perfect
            model would reach (:func:`smoothing_floor`).
        mixing: whether Mixup/CutMix blended the training images (said in the title).
    """
    figure = Figure(figsize=(11, 3.2), layout="constrained")
    train_axes, val_axes, accuracy_axes = figure.subplots(1, 3)
    epochs = [record["epoch"] for record in history]

    train_axes.plot(epochs, [record["train_loss"] for record in history], "o-", ms=3, color="C0")
    softened = ["label smoothing " + f"{label_smoothing:g}"] if label_smoothing else []
    softened += ["Mixup/CutMix"] if mixing else []
    note = f"against targets softened by {' and '.join(softened)}" if softened else "on augmented images"
    train_axes.set(xlabel="epoch", ylabel="cross entropy", title=f"training loss\n({note})")
    if label_smoothing and num_classes:
        floor = smoothing_floor(label_smoothing, num_classes)
        train_axes.axhline(floor, color="grey", ls=":", lw=1)
        train_axes.annotate(
            f"floor {floor:.2f}: a perfect model",
            (epochs[0], floor),
            xytext=(0, 3),
            textcoords="offset points",
            fontsize=7,
            color="grey",
        )

    val_axes.plot(epochs, [record["val_loss"] for record in history], "s--", ms=3, color="C1")
    val_axes.set(xlabel="epoch", ylabel="cross entropy", title="validation loss\n(true labels, unaugmented images)")

    if all("train_acc" in record for record in history):
        accuracy_axes.plot(
            epochs,
            [100 * record["train_acc"] for record in history],
            "o-",
            ms=3,
            color="C0",
            label="training (augmented)",
        )
    accuracy_axes.plot(
        epochs, [100 * record["val_acc"] for record in history], "s--", ms=3, color="C1", label="validation"
    )
    accuracy_axes.set(xlabel="epoch", ylabel="%", title="accuracy")
    accuracy_axes.legend(fontsize=8)
    for axes in (train_axes, val_axes, accuracy_axes):
        axes.grid(alpha=0.3)
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
