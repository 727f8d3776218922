"""Training speed: swin_edu's Swin-T against timm's under the same recipe, and the data loaders' throughput.

    python benchmarks/bench_train.py [--batch-size 8] [--rounds 3] [--steps 3] [--device cpu] [--precision fp32]

Each training step is the recipe's: Mixup/CutMix on the batch, forward (autocast when asked), soft-target cross
entropy with label smoothing, backward, gradient clipping at 5, AdamW with the weight-decay groups. The models
take turns round by round (so that a slow spell of a shared machine hits both) and the median of the rounds is
reported, with the ratio to timm. The loaders are timed on their own: if a loader delivers fewer images per
second than the model trains on, the loader is the bottleneck.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import timm
import torch
import torch.nn.functional as F
from PIL import Image
from skimage import data as skimage_data
from torch import nn
from torch.utils.data import DataLoader

from swin_edu.data import build_datasets
from swin_edu.distributed import autocast_dtype
from swin_edu.model import swin_t
from swin_edu.recipe import batch_mixer, parameter_groups


def training_step(model: nn.Module, optimizer: torch.optim.Optimizer, mixer: Callable, images, labels, dtype) -> None:
    """One step of the recipe (see the module docstring)."""
    images, targets = mixer(images, labels)
    with torch.autocast(images.device.type, dtype=dtype, enabled=dtype is not None):
        logits = model(images)
    loss = F.cross_entropy(logits.float(), targets, label_smoothing=0.1)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 5.0)
    optimizer.step()


def timm_swin_t(fused: bool) -> nn.Module:
    """timm's Swin-T (random weights), with its fused attention switched on or left at timm's default (off)."""
    model = timm.create_model("swin_tiny_patch4_window7_224", pretrained=False, num_classes=1000)
    if fused:
        for module in model.modules():
            if hasattr(module, "fused_attn"):
                module.fused_attn = True
    return model


def bench_models(args: argparse.Namespace) -> dict[str, float]:
    """Median training images/s of each model over interleaved rounds."""
    device = torch.device(args.device)
    dtype = autocast_dtype(args.precision, device)
    torch.manual_seed(0)
    models = {
        "swin_edu": swin_t(num_classes=1000),
        "timm": timm_swin_t(False),
        "timm (fused attention)": timm_swin_t(True),
    }
    runs = {}
    for name, model in models.items():
        model = model.to(device).train()
        optimizer = torch.optim.AdamW(parameter_groups(model, 0.05), lr=1e-3 * args.batch_size / 1024)
        runs[name] = (model, optimizer)
    mixer = batch_mixer(1000, 0.8, 1.0)
    images = torch.randn(args.batch_size, 3, args.img_size, args.img_size, device=device)
    labels = torch.randint(0, 1000, (args.batch_size,), device=device)
    rates: dict[str, list[float]] = {name: [] for name in runs}
    for round_index in range(args.rounds + 1):  # round 0 warms up
        for name, (model, optimizer) in runs.items():
            if device.type == "cuda":
                torch.cuda.synchronize()
            start = time.perf_counter()
            for _ in range(args.steps):
                training_step(model, optimizer, mixer, images, labels, dtype)
            if device.type == "cuda":
                torch.cuda.synchronize()
            if round_index:
                rates[name].append(args.steps * args.batch_size / (time.perf_counter() - start))
    return {name: statistics.median(values) for name, values in rates.items()}


def write_photo_folder(root: Path, per_class: int = 16) -> None:
    """An ImageNet-like folder of JPEGs (500x375, random crops of scikit-image's photos): root/{train,val}/<photo>/."""
    rng = np.random.default_rng(0)
    for name in ("astronaut", "chelsea", "coffee", "rocket"):
        photo = Image.fromarray(getattr(skimage_data, name)()).convert("RGB").resize((1000, 750))
        for split in ("train", "val"):
            (root / split / name).mkdir(parents=True)
            for i in range(per_class):
                left, top = rng.integers(0, 500), rng.integers(0, 375)
                photo.crop((left, top, left + 500, top + 375)).save(root / split / name / f"{i}.jpg", quality=90)


def loader_rate(dataset, batch_size: int, workers: int, batches: int) -> float:
    """Images/s a DataLoader delivers (after its first batch, which pays for starting the workers)."""
    loader = DataLoader(dataset, batch_size, shuffle=True, num_workers=workers, drop_last=True)
    iterator = iter(loader)
    next(iterator)
    start = time.perf_counter()
    count = 0
    for _ in range(batches):
        images, _ = next(iterator)
        count += len(images)
    return count / (time.perf_counter() - start)


def bench_loaders(args: argparse.Namespace) -> dict[str, float]:
    """Training-loader throughput: 224-pixel JPEG photos with the full augmentation, and the in-memory digits."""
    rates = {}
    with tempfile.TemporaryDirectory() as folder:
        write_photo_folder(Path(folder))
        photos, _ = build_datasets("imagefolder", folder)  # RandomResizedCrop, flip, RandAugment, erasing
        for workers in sorted({0, args.workers}):
            rates[f"imagefolder 224 JPEG, {workers} workers"] = loader_rate(photos, args.batch_size, workers, 6)
    digits, _ = build_datasets("digits")
    rates["digits 32x32 in memory, 0 workers"] = loader_rate(digits, 64, 0, 10)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--img-size", type=int, default=224)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=3, help="training steps per model per round")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "fp16"])
    parser.add_argument("--workers", type=int, default=2, help="loader processes to try besides 0")
    args = parser.parse_args()
    print(
        f"torch {torch.__version__}, timm {timm.__version__}, device {args.device}, "
        f"{torch.get_num_threads()} threads, batch {args.batch_size} at {args.img_size}, precision {args.precision}"
    )

    models = bench_models(args)
    print("\ntraining (recipe step), median of rounds:")
    for name, rate in models.items():
        print(f"  {name:<24} {rate:8.2f} images/s   {rate / models['timm']:.2f}x timm")
    print("\ntraining data loaders:")
    for name, rate in bench_loaders(args).items():
        print(f"  {name:<40} {rate:8.1f} images/s")
    print("\nA loader slower than the model's images/s is the bottleneck; add workers (or faster storage).")


if __name__ == "__main__":
    main()
