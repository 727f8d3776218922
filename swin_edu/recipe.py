"""The paper's training recipe, piece by piece: optimizer groups, learning rate, schedule, Mixup/CutMix, loss.

The paper (Appendix A2.1, ImageNet-1K; most of it from DeiT) and the official code (``config.py``,
``optimizer.py``, ``lr_scheduler.py``, ``main.py``):
    AdamW, lr 1e-3 per 1024 images (scaled linearly with the batch size), weight decay 0.05 (none on norms,
    biases and relative position bias tables), a linear warm-up from 1/1000 of the peak, then a cosine decay to
    ``min_lr``, stepped after every batch; label smoothing 0.1; Mixup 0.8 / CutMix 1.0, one of the two per batch;
    gradient clipping at a norm of 5.
The per-image augmentation (crop, flip, RandAugment, random erasing) is in :mod:`swin_edu.data`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.lr_scheduler import LambdaLR
from torchvision.transforms import v2

WARMUP_START = 1e-3  # the warm-up starts at 1/1000 of the peak (official: WARMUP_LR 5e-7 against BASE_LR 5e-4)


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two AdamW groups: weight decay on the weight matrices only; none on norms, biases and position tables.

    Decay pulls weights towards zero. That regularises a projection, but for a LayerNorm gain, a bias or a
    position table (which encodes *where* to look, not *how much*) it only removes what was learned. The same
    rule as the official code's ``set_weight_decay``: vectors, ``relative_position_bias_table`` and
    ``absolute_pos_embed`` skip decay.
    """
    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        if parameter.ndim <= 1 or name.endswith(("relative_position_bias_table", "absolute_pos_embed")):
            no_decay.append(parameter)
        else:
            decay.append(parameter)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def scaled_lr(lr_per_1024: float, batch_size: int) -> float:
    """The linear scaling rule: the learning rate grows with the batch size (Goyal et al., 2017)."""
    return lr_per_1024 * batch_size / 1024


def build_optimizer(model: nn.Module, lr_per_1024: float, batch_size: int, weight_decay: float) -> torch.optim.AdamW:
    """AdamW over :func:`parameter_groups`, at the learning rate :func:`scaled_lr` gives for ``batch_size``."""
    return torch.optim.AdamW(parameter_groups(model, weight_decay), lr=scaled_lr(lr_per_1024, batch_size))


def schedule_factor(step: int, warmup_steps: int, total_steps: int, min_factor: float) -> float:
    """The learning rate after ``step`` batches, as a fraction of the peak.

    Warm-up: a straight line from ``WARMUP_START`` to 1 over ``warmup_steps``. Then half a cosine from 1 down to
    ``min_factor`` (``min_lr / lr``) at ``total_steps``; it stays there after.
    """
    if step < warmup_steps:
        return WARMUP_START + (1 - WARMUP_START) * step / warmup_steps
    progress = min(1.0, (step - warmup_steps) / max(1, total_steps - warmup_steps))
    return min_factor + (1 - min_factor) * 0.5 * (1 + math.cos(math.pi * progress))


def build_scheduler(optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int, min_lr: float) -> LambdaLR:
    """Linear warm-up from 1/1000 of the peak learning rate, then cosine decay to ``min_lr``; stepped per batch.

    The schedule is a formula of the step (:func:`schedule_factor`), so its state is only the step count: a run
    extended to more epochs loads that count into a longer schedule and goes on along it.
    """
    peak = optimizer.param_groups[0]["lr"]
    min_factor = min_lr / peak
    return LambdaLR(optimizer, lambda step: schedule_factor(step, warmup_steps, total_steps, min_factor))


def set_schedule_step(scheduler: LambdaLR, step: int) -> None:
    """Put a schedule (and its optimizer's learning rates) at ``step`` batches done: resuming, or extending.

    The learning rate comes from the schedule's formula, not from the saved optimizer, so a run extended to more
    epochs goes on along its longer schedule from the first batch.
    """
    lrs = [base * factor(step) for base, factor in zip(scheduler.base_lrs, scheduler.lr_lambdas)]
    scheduler.load_state_dict({**scheduler.state_dict(), "last_epoch": step, "_step_count": step + 1, "_last_lr": lrs})
    for group, lr in zip(scheduler.optimizer.param_groups, lrs):
        group["lr"] = lr


def batch_mixer(num_classes: int, mixup: float = 0.8, cutmix: float = 1.0) -> Callable | None:
    """Mixup or CutMix on a whole batch, one of the two chosen at random for each batch (as in the paper).

    ``mixer(images (B, C, H, W), labels (B,))`` -> ``(mixed images, soft targets (B, num_classes))``.
    ``mixup`` and ``cutmix`` are the alphas of the Beta distributions the mixing ratio is drawn from; 0 turns
    one off. Returns None when both are off.
    """
    mixers = []
    if mixup > 0:
        mixers.append(v2.MixUp(alpha=mixup, num_classes=num_classes))
    if cutmix > 0:
        mixers.append(v2.CutMix(alpha=cutmix, num_classes=num_classes))
    if not mixers:
        return None
    return mixers[0] if len(mixers) == 1 else v2.RandomChoice(mixers)


class NonFiniteLoss(ArithmeticError):
    """The loss became NaN or infinite: the weights are ruined, so a run stops before saving them."""


def training_loss(logits: torch.Tensor, targets: torch.Tensor, label_smoothing: float) -> torch.Tensor:
    """Cross entropy against hard labels ``(B,)`` or Mixup/CutMix's soft targets ``(B, classes)``, smoothed.

    Smoothing a soft target: ``(1 - e) * target + e / classes``, which is what the official code gets by
    smoothing before mixing (both are linear). With Mixup and smoothing the loss cannot reach 0, so it sits
    above the plain validation loss even for a perfect model.
    """
    return F.cross_entropy(logits.float(), targets, label_smoothing=label_smoothing)
