"""Training a Swin Transformer: ``python -m swin_edu.train --preset NAME --out DIR``.

The run is a :class:`~swin_edu.presets.TrainConfig` (a preset plus flags); the recipe's parts are in
:mod:`swin_edu.recipe`, the data in :mod:`swin_edu.data`, the files in :mod:`swin_edu.checkpoint` and
:mod:`swin_edu.run_folder`, the processes in :mod:`swin_edu.distributed`. This module is the loop.
On CUDA: bf16 autocast, channels-last input to the convolutional stem, optional ``torch.compile``, pinned-memory
loaders with workers. Several GPUs or machines: ``torchrun --nproc_per_node=N -m swin_edu.train ...``.

A run writes to ``--out DIR``: ``metrics.jsonl``, ``best.pt`` and ``last.pt`` after every epoch (see
:mod:`swin_edu.run_folder` for the guarantees). ``--resume DIR/last.pt`` continues exactly where it stopped:
every random draw (shuffling, augmentation, Mixup/CutMix, stochastic depth) is seeded from (seed, epoch, rank).
``--resume DIR/last.pt --epochs N`` extends a run to N epochs: the schedule becomes the one of an N-epoch run
(the same warm-up, a cosine over the longer run) and goes on from the step reached, so the learning rate
steps up from the old schedule's end to where the longer cosine stands at that step.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from swin_edu.checkpoint import check_classes, check_resumable, load_checkpoint
from swin_edu.data import default_workers
from swin_edu.distributed import Processes, all_reduce_sum, autocast_dtype, load_data, make_loaders, start_processes
from swin_edu.evaluate import evaluate
from swin_edu.model import SwinConfig, SwinTransformer, config_dict
from swin_edu.presets import TrainConfig, data_spec
from swin_edu.recipe import (
    NonFiniteLoss,
    batch_mixer,
    build_optimizer,
    build_scheduler,
    scaled_lr,
    set_schedule_step,
    training_loss,
)
from swin_edu.run_folder import RunFolder, check_run_folder
from swin_edu.train_cli import USER_ERRORS, config_from_args, exit_with_error, parse_args


def seed_epoch(seed: int, epoch: int, rank: int) -> None:
    """Seed torch for one epoch of one process: any epoch can be replayed exactly, e.g. after a resume."""
    torch.manual_seed(seed * 1_000_003 + epoch * 1009 + rank)


def train_one_epoch(
    runner: nn.Module,
    loader: DataLoader,
    optimizer,
    scheduler,
    scaler,
    config: TrainConfig,
    mixer: Callable | None,
    processes: Processes,
    dtype: torch.dtype | None,
    channels_last: bool,
    bar: tqdm,
) -> dict:
    """One pass over the training set. Returns the mean loss and accuracy over all processes' images.

    Accuracy is counted against the original labels, also when Mixup/CutMix blended two images. A loss that is
    not finite raises :class:`NonFiniteLoss` (checked every 10 steps and at the end: each check waits for the GPU).
    """
    runner.train()
    device = processes.device
    totals = torch.zeros(3, device=device)  # summed loss, correct predictions, images (this process)
    for step, batch in enumerate(loader):
        if batch is not None:  # None: every image of the batch was unreadable and skipped
            images, labels = batch[0].to(device, non_blocking=True), batch[1].to(device, non_blocking=True)
            targets = labels
            if mixer is not None:
                images, targets = mixer(images, labels)  # targets: (B, classes), soft
            if channels_last:
                images = images.contiguous(memory_format=torch.channels_last)
            with torch.autocast(device.type, dtype=dtype) if dtype else nullcontext():
                logits = runner(images)
            loss = training_loss(logits, targets, config.label_smoothing)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)  # clip the true gradients, not the scaled ones (fp16)
            if config.clip_grad:
                nn.utils.clip_grad_norm_(runner.parameters(), config.clip_grad)
            scaler.step(optimizer)
            scaler.update()
            count = torch.tensor(len(labels), device=device)
            totals += torch.stack([loss.detach() * len(labels), (logits.argmax(1) == labels).sum(), count])
            bar.update(len(labels) * processes.world_size)
        scheduler.step()
        if step % 10 == 0 or step == len(loader) - 1:
            loss_sum, correct, count = totals.tolist()
            if not torch.isfinite(totals[0]):
                raise NonFiniteLoss(f"the training loss became {loss_sum} at step {step + 1}")
            bar.set_postfix(loss=f"{loss_sum / max(count, 1):.3f}", acc=f"{correct / max(count, 1):.3f}")
    loss_sum, correct, count = all_reduce_sum(totals).tolist()
    return {"train_loss": loss_sum / max(count, 1), "train_acc": correct / max(count, 1), "train_images": int(count)}


def build_model(config: TrainConfig, num_classes: int) -> SwinTransformer:
    """The preset's Swin, sized for its data: image size and channels from the preset, classes from the data."""
    spec = data_spec(config.preset)
    return SwinTransformer(
        SwinConfig(**config.model, img_size=spec.img_size, in_chans=spec.in_chans, num_classes=num_classes)
    )


def train(config: TrainConfig, resume=None, callbacks: Sequence[Callable[[list[dict]], None]] = ()) -> list[dict]:
    """Train (or continue training) and return the metrics of every epoch.

    Args:
        config: the run (for ``resume``, the checkpoint's recipe: see :func:`swin_edu.checkpoint.resume_config`).
        resume: a ``last.pt`` written by an earlier run of the same config.
        callbacks: called on rank 0 after every epoch with the metrics so far (e.g. to draw live curves).

    Returns:
        one dict per epoch: epoch, train_loss, train_acc, val_loss, val_acc, lr, images_per_s, seconds, skipped.
    """
    config.check()
    checkpoint = load_checkpoint(resume) if resume is not None else None
    if checkpoint is not None:
        check_resumable(config, checkpoint)
    out = Path(config.out)
    check_run_folder(out, Path(resume) if resume is not None else None)
    processes = start_processes(config.device)
    # the run seeds torch's generators itself; fork_rng gives the caller's random state back afterwards
    gpus = [processes.device.index or 0] if processes.device.type == "cuda" else []
    with torch.random.fork_rng(devices=gpus), RunFolder(out) if processes.is_main else nullcontext() as folder:
        return run_epochs(config, checkpoint, processes, folder, callbacks)


def run_epochs(
    config: TrainConfig,
    checkpoint: dict | None,
    processes: Processes,
    folder: RunFolder | None,
    callbacks: Sequence[Callable],
) -> list[dict]:
    """The body of :func:`train`, once the run folder is held: build everything, then one epoch after another."""
    device = processes.device
    torch.manual_seed(config.seed)  # the same initial weights in every process
    train_set, val_set, classes = load_data(config, processes)
    if checkpoint is not None:
        check_classes(checkpoint["classes"], classes, f"the data ({config.data or config.preset})")
    model = build_model(config, len(classes)).to(device)
    channels_last = config.channels_last if config.channels_last is not None else device.type == "cuda"
    if channels_last:
        model = model.to(memory_format=torch.channels_last)  # the patch-embedding convolution
    workers = config.workers if config.workers is not None else default_workers(data_spec(config.preset))
    train_loader, val_loader = make_loaders(train_set, val_set, config.batch_size, config.seed, workers, processes)
    optimizer = build_optimizer(model, config.lr, config.batch_size, config.weight_decay)
    steps = len(train_loader)
    scheduler = build_scheduler(
        optimizer,
        round(config.warmup_epochs * steps),
        config.epochs * steps,
        scaled_lr(config.min_lr, config.batch_size),
    )
    dtype = autocast_dtype(config.precision, device)
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)  # only fp16 needs loss scaling
    mixer = batch_mixer(len(classes), config.mixup, config.cutmix)

    history: list[dict] = []
    if checkpoint is not None:
        model.load_state_dict(checkpoint["model"])
        optimizer.load_state_dict(checkpoint["optimizer"])
        scaler.load_state_dict(checkpoint["scaler"])
        history = checkpoint["history"]
        set_schedule_step(scheduler, len(history) * steps)  # the (possibly longer) schedule, at the step reached
        if folder is not None:
            folder.write_metrics(history)  # metrics.jsonl matches the checkpoint again (a stop may have left it behind)

    # the model that trains: wrapped for several processes and optionally compiled; `model` stays the plain one
    runner: nn.Module = DistributedDataParallel(model) if processes.world_size > 1 else model
    if config.compile:
        runner = torch.compile(runner)

    images_per_epoch = steps * config.batch_size
    bar = tqdm(
        total=config.epochs * images_per_epoch,
        initial=len(history) * images_per_epoch,
        unit="img",
        disable=not (config.progress and processes.is_main),
    )
    for epoch in range(len(history), config.epochs):
        seed_epoch(config.seed, epoch, processes.rank)
        train_loader.sampler.set_epoch(epoch)
        bar.set_description(
            f"epoch {epoch + 1}/{config.epochs}" + (f", val_acc {history[-1]['val_acc']:.3f}" if history else "")
        )
        start = time.perf_counter()
        try:
            trained = train_one_epoch(
                runner, train_loader, optimizer, scheduler, scaler, config, mixer, processes, dtype, channels_last, bar
            )
            validated = evaluate(model, val_loader, device, len(classes), dtype)
            if not torch.isfinite(torch.tensor([trained["train_loss"], validated.loss])).all():
                raise NonFiniteLoss(
                    f"the loss became {trained['train_loss']} (training), {validated.loss} (validation)"
                )
        except NonFiniteLoss as error:
            kept = f"{config.out}/last.pt keeps epoch {len(history)}" if history else "no checkpoint was written"
            raise NonFiniteLoss(
                f"{error} in epoch {epoch + 1}, so the run stopped; {kept}. Try a lower --lr, "
                f"a lower --drop-path, or --clip-grad (now {config.clip_grad})"
            ) from None
        history.append(
            {
                "epoch": epoch + 1,
                "train_loss": trained["train_loss"],
                "train_acc": trained["train_acc"],
                "val_loss": validated.loss,
                "val_acc": validated.accuracy,
                "lr": scheduler.get_last_lr()[0],
                "images_per_s": trained["train_images"] / (time.perf_counter() - start),
                "seconds": time.perf_counter() - start,
                "skipped": images_per_epoch - trained["train_images"] + len(val_set) - validated.images,
            }
        )
        if history[-1]["skipped"] and processes.is_main:
            print(f"epoch {epoch + 1}: {history[-1]['skipped']} unreadable images skipped", file=sys.stderr)
        bar.set_description(f"epoch {epoch + 1}/{config.epochs}, val_acc {validated.accuracy:.3f}")
        if folder is not None:
            folder.save_epoch(
                {
                    "model": model.state_dict(),
                    "model_config": config_dict(model.config),
                    "classes": classes,
                    "optimizer": optimizer.state_dict(),
                    "scheduler": scheduler.state_dict(),
                    "scaler": scaler.state_dict(),
                    "epoch": epoch + 1,
                    "history": history,
                    "config": asdict(config),
                }
            )
            for callback in callbacks:
                callback(history)
    bar.close()
    return history


def main(argv: Sequence[str] | None = None) -> None:
    """The command line: train, print the best epoch; a bad input or a stop gets one line, not a traceback."""
    args = parse_args(argv)
    try:
        config = config_from_args(args)
        trained: list[int] = []  # the epochs this call trained (none when a resumed run was already finished)
        history = train(config, resume=args.resume, callbacks=[lambda history: trained.append(len(history))])
    except USER_ERRORS as error:
        exit_with_error("python -m swin_edu.train", error)
    except KeyboardInterrupt:
        out = config.out if "config" in locals() else args.out
        print(
            f"\ninterrupted; continue with: python -m swin_edu.train --resume {Path(out) / 'last.pt'}", file=sys.stderr
        )
        raise SystemExit(130) from None
    if args.resume and not trained and history:
        print(
            f"the run had already finished its {len(history)} epochs; train it longer with "
            f"--resume {args.resume} --epochs N (N > {len(history)})"
        )
    if history and (not dist.is_initialized() or dist.get_rank() == 0):
        best = max(history, key=lambda record: record["val_acc"])
        print(f"best validation accuracy {best['val_acc']:.4f} at epoch {best['epoch']}; files in {config.out}")
    if dist.is_initialized():
        dist.destroy_process_group()


if __name__ == "__main__":
    main(sys.argv[1:])
