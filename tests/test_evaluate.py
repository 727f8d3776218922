"""Evaluation and the drawings of a run, against computations written out here by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.metrics import confusion_matrix

from swin_edu.evaluate import evaluate
from swin_edu.viz.training import plot_confusion_matrix, plot_curves, smoothing_floor


def test_evaluate_matches_a_loop_over_the_images_and_scikit_learn(make_tiny_model):
    torch.manual_seed(0)
    model = make_tiny_model(img_size=32, num_classes=4, in_chans=3).train()
    images, labels = torch.randn(10, 3, 32, 32), torch.tensor([0, 1, 2, 3, 0, 1, 2, 3, 3, 3])
    batches = [(images[:4], labels[:4]), None, (images[4:], labels[4:])]  # None: a batch of unreadable images
    result = evaluate(model, batches, "cpu", num_classes=4)

    assert model.training  # its mode is given back
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(image[None]) for image in images])  # one image at a time
    predicted = logits.argmax(1)
    expected = confusion_matrix(labels.numpy(), predicted.numpy(), labels=range(4))
    np.testing.assert_array_equal(result.confusion.numpy(), expected)
    assert result.images == 10
    assert result.accuracy == pytest.approx((predicted == labels).float().mean().item())
    loss = -torch.log_softmax(logits, 1)[torch.arange(10), labels].mean()
    assert result.loss == pytest.approx(loss.item(), rel=1e-5)


def test_the_smoothing_floor_is_the_entropy_of_a_smoothed_target():
    for smoothing, classes in ((0.1, 10), (0.1, 1000), (0.3, 4)):
        target = torch.full((classes,), smoothing / classes)
        target[0] += 1 - smoothing
        entropy = -(target * target.log()).sum().item()
        assert smoothing_floor(smoothing, classes) == pytest.approx(entropy)
        # and no model gets below it: the cross entropy of the target itself
        assert F.cross_entropy(target.log()[None], torch.tensor([0]), label_smoothing=smoothing).item() == (
            pytest.approx(entropy, rel=1e-5)
        )
    assert smoothing_floor(0.0, 10) == 0.0


def test_training_and_validation_losses_are_drawn_on_their_own_axes():
    history = [
        {"epoch": e, "train_loss": 2.0 / e, "train_acc": 0.2 * e, "val_loss": 1.5 / e, "val_acc": 0.25 * e}
        for e in range(1, 4)
    ]
    figure = plot_curves(history, label_smoothing=0.1, num_classes=10, mixing=True)
    train_axes, val_axes, accuracy_axes = figure.axes
    assert "training loss" in train_axes.get_title() and "Mixup/CutMix" in train_axes.get_title()
    assert "validation loss" in val_axes.get_title()
    assert list(train_axes.lines[0].get_ydata()) == [2.0, 1.0, 2.0 / 3]
    assert list(val_axes.lines[0].get_ydata()) == [1.5, 0.75, 0.5]
    assert len(val_axes.lines) == 1  # nothing else shares the validation loss's axes
    floor = [line for line in train_axes.lines[1:] if line.get_linestyle() == ":"]
    assert floor and floor[0].get_ydata()[0] == pytest.approx(smoothing_floor(0.1, 10))
    assert [list(line.get_ydata()) for line in accuracy_axes.lines] == [pytest.approx([20, 40, 60]), [25, 50, 75]]


def test_the_confusion_matrix_figure_writes_its_counts_and_accuracy():
    confusion = torch.tensor([[5, 1], [2, 7]])
    axes = plot_confusion_matrix(confusion, ["cat", "dog"]).axes[0]
    assert sorted(text.get_text() for text in axes.texts) == ["1", "2", "5", "7"]
    assert axes.get_title() == f"accuracy {100 * 12 / 15:.2f}%"
