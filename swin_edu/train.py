"""Training a Swin Transformer with the paper's recipe: ``python -m swin_edu.train --preset NAME --out DIR``.

The recipe (paper, Appendix A2.1, ImageNet-1K; most of it from DeiT):
    AdamW, lr 1e-3 per 1024 images (scaled linearly with the batch size), weight decay 0.05 (none on norms,
    biases and relative position bias tables), cosine schedule after a linear warm-up, label smoothing 0.1,
    stochastic depth 0.2 (Swin-T), gradient clipping at 5, RandAugment, Mixup 0.8 / CutMix 1.0, random
    erasing 0.25.
On CUDA: bf16 autocast, channels-last input to the convolutional stem, optional ``torch.compile``, pinned-memory
loaders with workers. Several GPUs or machines: ``torchrun --nproc_per_node=N -m swin_edu.train ...``
(DistributedDataParallel; only rank 0 writes).

A run writes to ``--out DIR``: ``metrics.jsonl`` (one JSON object per epoch), ``last.pt`` after every epoch and
``best.pt`` (best validation accuracy), each written to a temporary file and then renamed, so an interrupted run
always leaves the last good checkpoint. ``--resume DIR/last.pt`` continues exactly where it stopped: every random
draw (shuffling, augmentation, Mixup/CutMix, stochastic depth) is seeded from (seed, epoch, rank).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, LRScheduler, SequentialLR
from torch.utils.data import DataLoader, Dataset, DistributedSampler, Subset
from tqdm.auto import tqdm

from swin_edu.data import batch_mixer, build_datasets, class_names, data_spec
from swin_edu.evaluate import evaluate, load_checkpoint
from swin_edu.model import SwinConfig, SwinTransformer, VARIANTS, config_dict

# ---------------------------------------------------------------------------------------------- configuration

# the architecture of Swin-T, without the fields that the data decides (img_size, in_chans, num_classes)
SWIN_T = {key: value for key, value in config_dict(VARIANTS["swin_t"]).items()
          if key not in ("img_size", "in_chans", "num_classes")}


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides a training run. The defaults are the paper's ImageNet-1K recipe for Swin-T.

    ``lr`` and ``min_lr`` are per 1024 images: the optimizer uses ``lr * batch_size / 1024`` (linear scaling).
    ``batch_size`` is the global batch, split evenly over the processes of a distributed run. ``model`` holds
    :class:`swin_edu.model.SwinConfig` fields; ``img_size``, ``in_chans`` and ``num_classes`` come from the data.
    """

    preset: str = "imagefolder"
    data: str | None = None
    out: str = "runs/swin"
    epochs: int = 300
    batch_size: int = 1024
    lr: float = 1e-3
    min_lr: float = 1e-5
    warmup_epochs: float = 20
    weight_decay: float = 0.05
    label_smoothing: float = 0.1
    mixup: float = 0.8
    cutmix: float = 1.0
    randaugment: int = 9
    erasing: float = 0.25
    clip_grad: float = 5.0
    augment: bool = True  # False: no per-image augmentation (Mixup/CutMix are set apart), e.g. to compare runs exactly
    model: dict = field(default_factory=lambda: dict(SWIN_T))
    seed: int = 0
    train_limit: int | None = None  # use only the first N training images (quick trials, tests)
    val_limit: int | None = None
    # how to run rather than what to compute: may change when a run is resumed
    workers: int | None = None  # data-loading processes; None: 0 for in-memory digits, else up to 8
    device: str | None = None  # None: cuda when there is one
    precision: str = "auto"  # fp32, bf16 or fp16 autocast; auto: bf16 on CUDA, fp32 on the CPU
    channels_last: bool | None = None  # None: on CUDA
    compile: bool = False
    download: bool = True
    progress: bool = True


RUNTIME_FIELDS = ("out", "data", "workers", "device", "precision", "channels_last", "compile", "download", "progress")

# the presets: what differs from the paper's ImageNet-1K recipe
PRESETS: dict[str, dict] = {
    # a 1.3M-parameter Swin (patch 2, window 4, depths 2-2-2) for 32x32 digits on two CPU cores in minutes:
    # a short schedule on 1437 images learns faster with light regularisation (random shifts + label smoothing)
    # and many small steps (batch 16 at lr 1e-3)
    "digits": dict(
        epochs=15, batch_size=16, lr=0.064, min_lr=6.4e-4, warmup_epochs=1, mixup=0.0, cutmix=0.0,
        randaugment=0, erasing=0.0,
        model=dict(SWIN_T, patch_size=2, window_size=4, embed_dim=48, depths=[2, 2, 2], num_heads=[3, 6, 12],
                   drop_path_rate=0.0),
    ),
    # Swin adapted to 32x32 (patch 2, window 4, three stages: 16x16, 8x8, 4x4 tokens), the full recipe
    "cifar10": dict(
        epochs=200, batch_size=128, lr=4e-3, min_lr=4e-5, warmup_epochs=10,
        model=dict(SWIN_T, patch_size=2, window_size=4, depths=[2, 6, 2], num_heads=[3, 6, 12], drop_path_rate=0.1),
    ),
    "imagenette": dict(epochs=100, batch_size=128, warmup_epochs=5),  # Swin-T at 224
    "imagefolder": dict(),  # Swin-T at 224, the paper's recipe unchanged
}
PRESETS["cifar100"] = PRESETS["cifar10"]


def make_config(preset: str, **overrides) -> TrainConfig:
    """The preset's :class:`TrainConfig`, with ``overrides`` (None values are ignored; ``model`` entries merge)."""
    data_spec(preset)  # an unknown preset fails here, naming the known ones
    settings = dict(PRESETS[preset], preset=preset, out=f"runs/{preset}")
    for key, value in overrides.items():
        if value is None:
            continue
        if key == "model":
            value = {**settings.get("model", SWIN_T), **value}
        settings[key] = value
    return TrainConfig(**settings)


# ------------------------------------------------------------------------------------------- the recipe parts


def parameter_groups(model: nn.Module, weight_decay: float) -> list[dict]:
    """Two AdamW groups: weight decay on the weight matrices only; none on norms, biases and bias tables.

    Decay pulls weights towards zero. That regularises a projection, but for a LayerNorm gain, a bias or a
    relative position bias (which encodes *where* to look, not *how much*) it only removes what was learned.
    """
    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        if not parameter.requires_grad:
            continue
        if parameter.ndim <= 1 or name.endswith("relative_position_bias_table"):
            no_decay.append(parameter)
        else:
            decay.append(parameter)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def scaled_lr(lr_per_1024: float, batch_size: int) -> float:
    """The linear scaling rule: the learning rate grows with the batch size (Goyal et al., 2017)."""
    return lr_per_1024 * batch_size / 1024


def build_scheduler(optimizer: torch.optim.Optimizer, warmup_steps: int, total_steps: int, min_lr: float) -> LRScheduler:
    """Linear warm-up from 1/1000 of the peak learning rate, then cosine decay to ``min_lr``; stepped per batch."""
    cosine = CosineAnnealingLR(optimizer, T_max=max(1, total_steps - warmup_steps), eta_min=min_lr)
    if warmup_steps == 0:
        return cosine
    warmup = LinearLR(optimizer, start_factor=1e-3, end_factor=1.0, total_iters=warmup_steps)
    return SequentialLR(optimizer, [warmup, cosine], milestones=[warmup_steps])


def autocast_dtype(precision: str, device: torch.device) -> torch.dtype | None:
    """The autocast dtype for a precision setting (``auto``: bf16 on CUDA, none on the CPU); None: full fp32."""
    if precision == "auto":
        precision = "bf16" if device.type == "cuda" else "fp32"
    choices = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
    if precision not in choices:
        raise ValueError(f"precision must be one of auto, {', '.join(choices)}; got {precision!r}")
    return choices[precision]


def seed_epoch(seed: int, epoch: int, rank: int) -> None:
    """Seed torch for one epoch of one process: any epoch can be replayed exactly, e.g. after a resume."""
    torch.manual_seed(seed * 1_000_003 + epoch * 1009 + rank)


# ----------------------------------------------------------------------------------------- processes, files


@dataclass(frozen=True)
class Processes:
    """Where this process stands in a (possibly distributed) run."""

    rank: int = 0
    world_size: int = 1
    device: torch.device = torch.device("cpu")

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def start_processes(device: str | None) -> Processes:
    """Join the process group when started by torchrun (nccl on CUDA, gloo on the CPU); pick the device."""
    use_cuda = torch.cuda.is_available() if device is None else device.startswith("cuda")
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    if use_cuda:
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        chosen = torch.device("cuda", local_rank) if world_size > 1 else torch.device(device or "cuda")
        torch.cuda.set_device(chosen)
    else:
        chosen = torch.device("cpu")
    if world_size > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if use_cuda else "gloo")
    return Processes(rank, world_size, chosen)


def all_reduce_sum(values: torch.Tensor) -> torch.Tensor:
    """Sum a tensor over all processes (unchanged in a single process)."""
    if dist.is_initialized():
        dist.all_reduce(values)
    return values


def save_atomically(write: Callable[[Path], None], path: Path) -> None:
    """Write ``path`` through a temporary file and a rename: readers never see half a file."""
    temporary = path.with_name(path.name + ".tmp")
    write(temporary)
    os.replace(temporary, path)


def write_metrics(history: list[dict], path: Path) -> None:
    """``metrics.jsonl``: one JSON object per epoch, rewritten whole, so it always matches the checkpoint."""
    lines = "".join(json.dumps(record) + "\n" for record in history)
    save_atomically(lambda temporary: temporary.write_text(lines), path)


# ------------------------------------------------------------------------------------------------ the loops


def train_one_epoch(
    model: nn.Module,
    loader: DataLoader,
    optimizer: torch.optim.Optimizer,
    scheduler: LRScheduler,
    scaler: torch.amp.GradScaler,
    config: TrainConfig,
    mixer: Callable | None,
    processes: Processes,
    dtype: torch.dtype | None,
    channels_last: bool,
    bar: tqdm,
) -> dict:
    """One pass over the training set. Returns the mean loss and accuracy over all processes' images.

    Accuracy is counted against the original labels, also when Mixup/CutMix blended two images.
    """
    model.train()
    device = processes.device
    totals = torch.zeros(3, device=device)  # summed loss, correct predictions, images (this process)
    for step, (images, labels) in enumerate(loader):
        images, labels = images.to(device, non_blocking=True), labels.to(device, non_blocking=True)
        targets = labels
        if mixer is not None:
            images, targets = mixer(images, labels)  # targets: (B, classes), soft
        if channels_last:
            images = images.contiguous(memory_format=torch.channels_last)
        with torch.autocast(device.type, dtype=dtype) if dtype else nullcontext():
            logits = model(images)
        # cross entropy accepts soft targets, and smooths them too: (1 - e) * target + e / classes
        loss = F.cross_entropy(logits.float(), targets, label_smoothing=config.label_smoothing)
        optimizer.zero_grad(set_to_none=True)
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones (fp16)
        nn.utils.clip_grad_norm_(model.parameters(), config.clip_grad)
        scaler.step(optimizer)
        scaler.update()
        scheduler.step()

        batch = len(labels)
        totals += torch.stack([loss.detach() * batch, (logits.argmax(1) == labels).sum(), torch.tensor(batch, device=device)])
        bar.update(batch * processes.world_size)
        if step % 10 == 0 or step == len(loader) - 1:
            loss_sum, correct, count = totals.tolist()
            bar.set_postfix(loss=f"{loss_sum / count:.3f}", acc=f"{correct / count:.3f}")
    loss_sum, correct, count = all_reduce_sum(totals).tolist()
    return {"train_loss": loss_sum / count, "train_acc": correct / count, "train_images": int(count)}


def make_loaders(
    train_set: Dataset, val_set: Dataset, config: TrainConfig, processes: Processes
) -> tuple[DataLoader, DataLoader]:
    """Loaders for this process: its share of each global batch, and its share of the validation set.

    Every process shuffles with the same permutation (DistributedSampler, seeded by seed and epoch) and takes
    every ``world_size``-th image of it, so together they see exactly the batches a single process would.
    """
    if config.batch_size % processes.world_size:
        raise ValueError(f"batch size {config.batch_size} does not split over {processes.world_size} processes")
    local_batch = config.batch_size // processes.world_size
    sampler = DistributedSampler(
        train_set, processes.world_size, processes.rank, shuffle=True, seed=config.seed, drop_last=True
    )
    workers = config.workers if config.workers is not None else (0 if config.preset == "digits" else min(8, os.cpu_count() or 1))
    common = dict(num_workers=workers, pin_memory=processes.device.type == "cuda")
    train_loader = DataLoader(train_set, local_batch, sampler=sampler, drop_last=True, **common)
    val_share = Subset(val_set, range(processes.rank, len(val_set), processes.world_size))
    val_loader = DataLoader(val_share, local_batch, shuffle=False, **common)
    if len(train_loader) == 0:
        raise ValueError(f"{len(train_set)} training images make no full batch of {config.batch_size}")
    return train_loader, val_loader


def load_data(config: TrainConfig, processes: Processes) -> tuple[Dataset, Dataset, list]:
    """The preset's datasets, cut to ``train_limit`` / ``val_limit``, and the class names.

    In a distributed run rank 0 builds them first (and downloads), then the others read what it wrote.
    """
    def build(download: bool) -> tuple[Dataset, Dataset]:
        return build_datasets(config.preset, config.data, download, config.randaugment, config.erasing, config.augment)

    if processes.world_size > 1:
        if processes.is_main:
            train_set, val_set = build(config.download)
        dist.barrier()
        if not processes.is_main:
            train_set, val_set = build(False)
    else:
        train_set, val_set = build(config.download)
    classes = class_names(train_set)
    if config.train_limit:
        train_set = Subset(train_set, range(min(config.train_limit, len(train_set))))
    if config.val_limit:
        val_set = Subset(val_set, range(min(config.val_limit, len(val_set))))
    return train_set, val_set, classes


def build_model(config: TrainConfig, num_classes: int) -> SwinTransformer:
    """The preset's Swin, sized for its data: image size and channels from the preset, classes from the data."""
    spec = data_spec(config.preset)
    return SwinTransformer(SwinConfig(**config.model, img_size=spec.img_size, in_chans=spec.in_chans, num_classes=num_classes))


def check_resumable(config: TrainConfig, checkpoint: dict) -> None:
    """Refuse to resume with a recipe other than the checkpoint's: the run would not continue, it would change."""
    ours, theirs = plain(asdict(config)), plain(checkpoint["config"])
    changed = [name for name in ours if name not in RUNTIME_FIELDS and ours[name] != theirs.get(name)]
    if changed:
        details = ", ".join(f"{name}: {theirs.get(name)!r} -> {ours[name]!r}" for name in changed)
        raise ValueError(f"the checkpoint was trained with another recipe ({details}); use resume_config(checkpoint)")


def plain(value):
    """A value as JSON sees it (tuples become lists), for comparing configs."""
    return json.loads(json.dumps(value))


def resume_config(checkpoint_path: str | os.PathLike, **runtime) -> TrainConfig:
    """The config a checkpoint was trained with, writing next to it, with ``runtime`` fields changed.

    Only :data:`RUNTIME_FIELDS` (where and how to run) may change; the recipe is the checkpoint's.
    """
    unknown = sorted(set(runtime) - set(RUNTIME_FIELDS))
    if unknown:
        raise ValueError(f"a resumed run keeps its recipe; only {', '.join(RUNTIME_FIELDS)} may change, not {unknown}")
    saved = TrainConfig(**load_checkpoint(checkpoint_path)["config"])
    return replace(saved, **{"out": str(Path(checkpoint_path).parent), **runtime})


def train(
    config: TrainConfig, resume: str | os.PathLike | None = None, callbacks: Sequence[Callable[[list[dict]], None]] = ()
) -> list[dict]:
    """Train (or continue training) and return the metrics of every epoch.

    Args:
        config: the run (for ``resume``, the checkpoint's recipe: see :func:`resume_config`).
        resume: a ``last.pt`` written by an earlier run of the same config.
        callbacks: called on rank 0 after every epoch with the metrics so far (e.g. to draw live curves).

    Returns:
        one dict per epoch: epoch, train_loss, train_acc, val_loss, val_acc, lr, images_per_s, seconds.
    """
    checkpoint = load_checkpoint(resume) if resume is not None else None
    if checkpoint is not None:
        check_resumable(config, checkpoint)
    processes = start_processes(config.device)
    device = processes.device
    out = Path(config.out)
    if processes.is_main:
        out.mkdir(parents=True, exist_ok=True)

    torch.manual_seed(config.seed)  # the same initial weights in every process
    train_set, val_set, classes = load_data(config, processes)
    model = build_model(config, len(classes)).to(device)
    channels_last = config.channels_last if config.channels_last is not None else device.type == "cuda"
    if channels_last:
        model = model.to(memory_format=torch.channels_last)  # the patch-embedding convolution
    train_loader, val_loader = make_loaders(train_set, val_set, config, processes)
    optimizer = torch.optim.AdamW(parameter_groups(model, config.weight_decay), lr=scaled_lr(config.lr, config.batch_size))
    steps = len(train_loader)
    scheduler = build_scheduler(
        optimizer, round(config.warmup_epochs * steps), config.epochs * steps, scaled_lr(config.min_lr, config.batch_size)
    )
    dtype = autocast_dtype(config.precision, device)
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)  # only fp16 needs loss scaling
    mixer = batch_mixer(len(classes), config.mixup, config.cutmix)

    history: list[dict] = []
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scheduler.load_state_dict(checkpoint["scheduler"])
        scaler.load_state_dict(checkpoint["scaler"])
        history = checkpoint["history"]
        restore_rng(checkpoint["rng"])

    # the model that trains: wrapped for several processes and optionally compiled; `model` stays the plain one
    runner: nn.Module = DistributedDataParallel(model) if processes.world_size > 1 else model
    if config.compile:
        runner = torch.compile(runner)

    # one progress bar for the run, counting images; the epoch, loss, accuracy and speed in its text
    images_per_epoch = steps * config.batch_size
    bar = tqdm(total=config.epochs * images_per_epoch, initial=len(history) * images_per_epoch, unit="img",
               disable=not (config.progress and processes.is_main))
    for epoch in range(len(history), config.epochs):
        seed_epoch(config.seed, epoch, processes.rank)
        train_loader.sampler.set_epoch(epoch)
        last = f", val_acc {history[-1]['val_acc']:.3f}" if history else ""
        bar.set_description(f"epoch {epoch + 1}/{config.epochs}{last}")
        start = time.perf_counter()
        trained = train_one_epoch(runner, train_loader, optimizer, scheduler, scaler, config, mixer, processes,
                                  dtype, channels_last, bar)
        train_seconds = time.perf_counter() - start
        validated = evaluate(model, val_loader, device, len(classes), dtype)
        history.append({
            "epoch": epoch + 1,
            "train_loss": trained["train_loss"],
            "train_acc": trained["train_acc"],
            "val_loss": validated.loss,
            "val_acc": validated.accuracy,
            "lr": scheduler.get_last_lr()[0],
            "images_per_s": trained["train_images"] / train_seconds,
            "seconds": time.perf_counter() - start,
        })
        bar.set_description(f"epoch {epoch + 1}/{config.epochs}, val_acc {validated.accuracy:.3f}")
        if processes.is_main:
            state = {
                "model": model.state_dict(),
                "model_config": config_dict(model.config),
                "classes": classes,
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "scaler": scaler.state_dict(),
                "epoch": epoch + 1,
                "history": history,
                "rng": rng_state(),
                "config": asdict(config),
            }
            save_run(out, state)
            for callback in callbacks:
                callback(history)
    bar.close()
    return history


# ------------------------------------------------------------------------------------------------ checkpoints


def rng_state() -> dict:
    """The torch generators (CPU and every GPU): all the randomness a run draws is torch's."""
    cuda = torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []
    return {"cpu": torch.get_rng_state(), "cuda": cuda}


def restore_rng(state: dict) -> None:
    """Put the generators back as :func:`rng_state` found them."""
    torch.set_rng_state(state["cpu"])
    if state["cuda"] and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_run(out: Path, state: dict) -> None:
    """Write ``last.pt``, ``best.pt`` when validation accuracy is the best so far, then ``metrics.jsonl``.

    ``state`` holds only tensors and plain values (the config as a dict), so that ``torch.load`` reads it with
    ``weights_only=True``: model, model_config, classes, optimizer, scheduler, scaler, epoch, history, rng, config.
    """
    history = state["history"]
    save_atomically(lambda temporary: torch.save(state, temporary), out / "last.pt")
    if history[-1]["val_acc"] >= max(record["val_acc"] for record in history):
        save_atomically(lambda temporary: torch.save(state, temporary), out / "best.pt")
    write_metrics(history, out / "metrics.jsonl")


# ---------------------------------------------------------------------------------------------- command line


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m swin_edu.train", description=__doc__.split("\n\n")[0],
        formatter_class=argparse.ArgumentDefaultsHelpFormatter,
    )
    parser.add_argument("--preset", choices=list(PRESETS), help="data set, model and recipe (required unless --resume)")
    parser.add_argument("--data", help="data folder (cifar*, imagenette: downloaded into it; imagefolder: DIR/train, DIR/val)")
    parser.add_argument("--out", help="output folder (default runs/PRESET)")
    parser.add_argument("--resume", help="continue the run saved in this checkpoint (DIR/last.pt), with its own recipe")
    recipe = parser.add_argument_group("recipe (defaults: the preset's)")
    for flag, kind in [("epochs", int), ("batch-size", int), ("lr", float), ("min-lr", float),
                       ("warmup-epochs", float), ("weight-decay", float), ("label-smoothing", float),
                       ("mixup", float), ("cutmix", float), ("randaugment", int), ("erasing", float),
                       ("clip-grad", float), ("seed", int), ("train-limit", int), ("val-limit", int)]:
        recipe.add_argument(f"--{flag}", type=kind)
    model = parser.add_argument_group("model (defaults: the preset's)")
    model.add_argument("--embed-dim", type=int)
    model.add_argument("--depths", type=int, nargs="+")
    model.add_argument("--num-heads", type=int, nargs="+")
    model.add_argument("--window-size", type=int)
    model.add_argument("--patch-size", type=int)
    model.add_argument("--drop-path", type=float, help="stochastic depth rate at the last block")
    recipe.add_argument("--no-augment", dest="augment", action="store_false", default=None,
                        help="no per-image augmentation (crops, flips, RandAugment, erasing)")
    runtime = parser.add_argument_group("running")
    runtime.add_argument("--workers", type=int, help="data-loading processes")
    runtime.add_argument("--device", help="cpu, cuda or cuda:N (default: cuda when available)")
    runtime.add_argument("--precision", choices=["auto", "fp32", "bf16", "fp16"],
                         help="autocast precision; auto: bf16 on CUDA, fp32 on the CPU")
    runtime.add_argument("--channels-last", action=argparse.BooleanOptionalAction, help="default: on CUDA")
    runtime.add_argument("--compile", action="store_true", default=None, help="torch.compile the model")
    runtime.add_argument("--no-download", dest="download", action="store_false", default=None, help="never download data")
    runtime.add_argument("--no-progress", dest="progress", action="store_false", default=None, help="no progress bars")
    return parser.parse_args(argv)


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """A :class:`TrainConfig` from parsed flags; with ``--resume``, the checkpoint's, and only running flags count."""
    model = {"embed_dim": args.embed_dim, "depths": args.depths, "num_heads": args.num_heads,
             "window_size": args.window_size, "patch_size": args.patch_size, "drop_path_rate": args.drop_path}
    model = {key: value for key, value in model.items() if value is not None}
    settings = {f.name: getattr(args, f.name) for f in fields(TrainConfig) if hasattr(args, f.name)}
    settings = {name: value for name, value in settings.items() if value is not None}
    if args.resume:
        recipe = [name for name in settings if name not in RUNTIME_FIELDS] + list(model)
        if recipe:
            raise SystemExit(f"--resume continues a run with its own recipe; remove --{', --'.join(recipe)}")
        return resume_config(args.resume, **settings)
    if args.preset is None:
        raise SystemExit("give --preset (one of " + ", ".join(PRESETS) + ") or --resume CHECKPOINT")
    return make_config(model=model or None, **settings)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    config = config_from_args(args)
    history = train(config, resume=args.resume)
    if history and (not dist.is_initialized() or dist.get_rank() == 0):
        best = max(history, key=lambda record: record["val_acc"])
        print(f"best validation accuracy {best['val_acc']:.4f} at epoch {best['epoch']}; files in {config.out}")
    if dist.is_initialized():
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
